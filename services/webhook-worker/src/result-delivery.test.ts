import { describe, expect, it } from 'vitest';
import { judgeDeliveryStatus, resultForModel, resultWebhookBody } from './result-delivery.js';

const run = {
  intentId: 'int_1',
  conversationId: 'conv_1',
  actionName: 'build_report',
  status: 'succeeded',
  result: { messages: ['Your report is ready.'], outputs: { pages: 3 }, events: [] },
};

describe('async result delivery', () => {
  it('delivers on 2xx, retries 408, 429, 5xx and no answer, gives up on any other status', () => {
    expect([200, 201, 204].map(judgeDeliveryStatus)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([408, 429, 500, 502, 503, undefined].map(judgeDeliveryStatus)).toEqual(Array(6).fill('retry'));
    expect([301, 400, 401, 403, 404, 410, 422].map(judgeDeliveryStatus)).toEqual(Array(7).fill('permanent'));
  });

  it('posts the run id, status, messages and outputs (and the error of a failed run)', () => {
    expect(resultWebhookBody(run)).toEqual({
      type: 'run.result',
      run: {
        id: 'int_1',
        conversation_id: 'conv_1',
        action: 'build_report',
        status: 'succeeded',
        messages: ['Your report is ready.'],
        outputs: { pages: 3 },
      },
    });
    const failed = resultWebhookBody({
      ...run,
      status: 'failed',
      result: { messages: [], outputs: {}, error: { code: 'webhook_timeout', message: 'slow' } },
    });
    expect(failed.run).toMatchObject({ status: 'failed', error: { code: 'webhook_timeout', message: 'slow' } });
  });

  it('tells the model which tool call the result answers', () => {
    expect(resultForModel(run)).toBe(
      'The result of \'build_report\' (tool call int_1) is in: succeeded.\nYour report is ready.\nOutputs: {"pages":3}',
    );
    expect(
      resultForModel({ ...run, status: 'failed', result: { messages: [], error: { code: 'x', message: 'broke' } } }),
    ).toContain('Why (x): broke');
  });
});
