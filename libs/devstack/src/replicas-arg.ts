/** `--replicas N` (or `--replicas=N`): processes of every service; 1 when absent. */
export function replicasOf(argv: readonly string[]): number {
  const at = argv.findIndex((a) => a === '--replicas' || a.startsWith('--replicas='));
  if (at < 0) return 1;
  const arg = argv[at] as string;
  const text = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new Error(`--replicas takes a whole number from 1 to 16, not '${text}'`);
  return n;
}
