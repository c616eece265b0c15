/**
 * Order violations between what was sent and what took effect, per conversation: an effect
 * of a later call before one of an earlier call. Repeated effects (a retry that crossed its
 * success) count once, at their first occurrence; effects of calls never sent are ignored.
 */
export function effectOrderViolations(
  sent: ReadonlyMap<string, readonly string[]>,
  effects: ReadonlyMap<string, readonly string[]>,
): { conversation: string; sent: readonly string[]; effects: string[] }[] {
  const out = [];
  for (const [conversation, calls] of sent) {
    const rank = new Map(calls.map((c, i) => [c, i]));
    const firsts = [...new Set(effects.get(conversation) ?? [])].filter((e) => rank.has(e));
    const inOrder = firsts.every((e, i) => i === 0 || (rank.get(e) ?? 0) > (rank.get(firsts[i - 1] as string) ?? 0));
    if (!inOrder) out.push({ conversation, sent: calls, effects: firsts });
  }
  return out;
}
