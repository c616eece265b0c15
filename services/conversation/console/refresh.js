// What a new outcome refreshes: the runs table and the transcript of the test call.

import { refreshRuns } from './runs.js';
import { guarded, throttle } from './shared.js';
import { refreshTranscript } from './transcript.js';

export const refreshSoon = throttle(() => {
  void guarded(refreshRuns)();
  void guarded(refreshTranscript)();
}, 300);
