import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from './options.js';
import { describePlacement } from './placement.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseBenchOptions(argv, env, '/repo');

describe('placement options', () => {
  it('leaves the scheduler alone unless asked', () => {
    const o = parse(['--sections', 'switchboard']);
    expect(o.cpuSplit).toBeUndefined();
    expect(o.conversationNice).toBeUndefined();
    expect(describePlacement({ cpuSplit: o.cpuSplit, conversationNice: o.conversationNice })).toBeUndefined();
  });

  it('reads --cpu-split as a switch, with a value, or from the environment', () => {
    expect(parse(['--cpu-split', '--levels', '1,10']).cpuSplit).toBe('service');
    expect(parse(['--cpu-split', '--levels', '1,10']).levels).toEqual([1, 10]);
    expect(parse(['--cpu-split=path']).cpuSplit).toBe('path');
    expect(parse([], { BENCH_CPU_SPLIT: 'path' }).cpuSplit).toBe('path');
    expect(() => parse(['--cpu-split=all'])).toThrow(/--cpu-split must be one of service, path, got 'all'/);
  });

  it('reads a nice value for the conversation service within -20..19', () => {
    expect(parse(['--conversation-nice', '-5']).conversationNice).toBe(-5);
    expect(parse([], { BENCH_CONVERSATION_NICE: '3' }).conversationNice).toBe(3);
    expect(() => parse(['--conversation-nice', '-21'])).toThrow(/-20\.\.19/);
    expect(describePlacement({ cpuSplit: 'service', conversationNice: -5 })).toBe(
      'conversation service alone on CPU 0, the rest of the stack (load generator included) on CPU 1; ' +
        'conversation service at nice -5',
    );
  });
});
