#!/usr/bin/env node
// Thin launcher: the command itself is compiled TypeScript in ../dist.
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  cwd: process.cwd(),
  env: process.env,
});
