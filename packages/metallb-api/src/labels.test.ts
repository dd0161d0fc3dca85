import { describe, expect, it } from 'vitest';
import { matchAnySelector, matchLabelSelector, validateLabelSelector } from './labels.ts';

const ref = { kind: 'BGPPeer', namespace: 'metallb-system', name: 'p' };

describe('matchLabelSelector', () => {
  const labels = { 'kubernetes.io/hostname': 'node1', rack: 'r1', empty: '' };
  it('empty selector matches everything, undefined matches nothing', () => {
    expect(matchLabelSelector({}, labels)).toBe(true);
    expect(matchLabelSelector({}, undefined)).toBe(true);
    expect(matchLabelSelector(undefined, labels)).toBe(false);
  });
  it('matchLabels needs every key with that value', () => {
    expect(matchLabelSelector({ matchLabels: { rack: 'r1' } }, labels)).toBe(true);
    expect(
      matchLabelSelector({ matchLabels: { rack: 'r1', 'kubernetes.io/hostname': 'node2' } }, labels),
    ).toBe(false);
    expect(matchLabelSelector({ matchLabels: { zone: '' } }, labels)).toBe(false);
    expect(matchLabelSelector({ matchLabels: { empty: '' } }, labels)).toBe(true);
  });
  it('In / NotIn / Exists / DoesNotExist', () => {
    const m = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', key: string, values?: string[]) =>
      matchLabelSelector({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }, labels);
    expect(m('In', 'rack', ['r1', 'r2'])).toBe(true);
    expect(m('In', 'rack', ['r2'])).toBe(false);
    expect(m('In', 'zone', ['r1'])).toBe(false);
    expect(m('NotIn', 'rack', ['r2'])).toBe(true);
    expect(m('NotIn', 'rack', ['r1'])).toBe(false);
    expect(m('NotIn', 'zone', ['a'])).toBe(true); // absent key satisfies NotIn, as Kubernetes
    expect(m('Exists', 'rack')).toBe(true);
    expect(m('Exists', 'zone')).toBe(false);
    expect(m('DoesNotExist', 'zone')).toBe(true);
    expect(m('DoesNotExist', 'rack')).toBe(false);
  });
  it('matchLabels and matchExpressions are ANDed', () => {
    expect(
      matchLabelSelector(
        {
          matchLabels: { rack: 'r1' },
          matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node2'] }],
        },
        labels,
      ),
    ).toBe(false);
  });
  it('a selector list: empty selects all, else any one', () => {
    expect(matchAnySelector([], labels)).toBe(true);
    expect(matchAnySelector(undefined, labels)).toBe(true);
    expect(matchAnySelector([{ matchLabels: { rack: 'r2' } }, { matchLabels: { rack: 'r1' } }], labels)).toBe(
      true,
    );
    expect(matchAnySelector([{ matchLabels: { rack: 'r2' } }], labels)).toBe(false);
  });
});

describe('validateLabelSelector', () => {
  it('In without values, Exists with values, bad keys and values', () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { 'Bad/x': 'ok', good: 'not ok!' },
        matchExpressions: [
          { key: 'a', operator: 'In' },
          { key: 'b', operator: 'Exists', values: ['x'] },
        ],
      },
      ref,
      'spec.nodeSelectors[0]',
    );
    expect(errs.map((e) => [e.path, e.rule])).toEqual([
      ['spec.nodeSelectors[0].matchLabels["Bad/x"]', 'invalid-label-selector'],
      ['spec.nodeSelectors[0].matchLabels.good', 'invalid-label-selector'],
      ['spec.nodeSelectors[0].matchExpressions[0].values', 'invalid-label-selector'],
      ['spec.nodeSelectors[0].matchExpressions[1].values', 'invalid-label-selector'],
    ]);
    expect(errs[2]).toEqual({
      ...ref,
      path: 'spec.nodeSelectors[0].matchExpressions[0].values',
      rule: 'invalid-label-selector',
      message: 'operator In needs at least one value',
    });
  });
});
