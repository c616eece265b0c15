import { describe, expect, it } from 'vitest';
import {
  actionNameProblems,
  DECLARATIVE_STEP_TYPES,
  formatValueType,
  isValidActionName,
  isValidToolName,
  labelFromName,
  StepTypes,
} from './model.js';

describe('labelFromName', () => {
  it('generates Agentforce labels from names', () => {
    expect(labelFromName('my_action')).toBe('My Action');
    expect(labelFromName('error_code')).toBe('Error Code');
    expect(labelFromName('get_URL')).toBe('Get URL');
    expect(labelFromName('book')).toBe('Book');
    expect(labelFromName('send_sms_confirmation')).toBe('Send Sms Confirmation');
  });
});

describe('isValidActionName (Agentforce developer-name rule)', () => {
  it.each([
    'my_action',
    'a',
    'A1',
    'send_verification_code_action',
    'getCustomer2',
    'x'.repeat(80),
    'a_b_c',
  ])('accepts %s', (name) => {
    expect(isValidActionName(name)).toBe(true);
    expect(actionNameProblems(name)).toEqual([]);
  });

  it.each([
    ['', 'must not be empty'],
    ['_private', 'must begin with a letter'],
    ['1action', 'must begin with a letter'],
    ['my-action', 'may contain only letters, digits and underscores'],
    ['my action', 'may contain only letters, digits and underscores'],
    ['my.action', 'may contain only letters, digits and underscores'],
    ['café', 'may contain only letters, digits and underscores'],
    ['my_action_', 'must not end with an underscore'],
    ['my__action', 'must not contain consecutive underscores'],
    ['x'.repeat(81), 'must be at most 80 characters'],
  ])('rejects %j (%s)', (name, problem) => {
    expect(isValidActionName(name)).toBe(false);
    expect(actionNameProblems(name)).toContain(problem);
  });
});

describe('isValidToolName (declarative tools and built-ins)', () => {
  it('accepts display names that instructions quote', () => {
    expect(isValidToolName('Transfer to Support')).toBe(true);
    expect(isValidToolName('Book 30-Minute Consultation')).toBe(true);
    expect(isValidToolName('save_meal')).toBe(true);
  });
  it('rejects empty, padded, over-long and control-character names', () => {
    expect(isValidToolName('')).toBe(false);
    expect(isValidToolName(' Transfer')).toBe(false);
    expect(isValidToolName('Transfer ')).toBe(false);
    expect(isValidToolName('a\nb')).toBe(false);
    expect(isValidToolName('x'.repeat(81))).toBe(false);
  });
});

describe('step types', () => {
  it('has the twelve declarative types plus the internal provider step', () => {
    expect(DECLARATIVE_STEP_TYPES).toHaveLength(12);
    expect(Object.values(StepTypes)).toHaveLength(13);
    expect(DECLARATIVE_STEP_TYPES).not.toContain('provider');
  });
  it('formats list types', () => {
    expect(formatValueType({ type: 'list', items: 'number' })).toBe('list[number]');
    expect(formatValueType({ type: 'date' })).toBe('date');
  });
});
