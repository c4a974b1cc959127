import { describe, expect, it } from 'vitest';
import { parityValidator } from '../../../src/core/validators/parity.js';
import type { HandoffSnapshot } from '../../../src/core/validators/types.js';
import { backlog, plan, run } from './support.js';

const FILES = {
  'plans/a/plan.yaml': plan('a'),
  'plans/a/be_backlog.yaml': '# sealed once\n' + backlog([{ id: 'A-1' }, { id: 'A-2', status: 'dropped' }]), // `tasks:` on line 2
  'plans/a/story_map.md': '# a\n',
  'plans/b/plan.yaml': plan('b'),
  'plans/b/be_backlog.yaml': backlog([{ id: 'A-3' }]),
};

const SEALED: HandoffSnapshot = {
  manifest: '.plan/handoffs/a/0002/handoff_manifest.yaml',
  sequence: 2,
  files: ['plans/a/plan.yaml', 'plans/a/be_backlog.yaml', 'plans/a/story_map.md', 'plans/a/api.json'],
  taskIds: ['A-1', 'A-2', 'A-3', 'A-4'],
};

describe('parity', () => {
  it.each([
    ['a dropped task that stays in the backlog is fine', { ...SEALED, taskIds: ['A-1', 'A-2'], files: ['plans/a/plan.yaml'] }, []],
    [
      'tasks and files gone since the seal',
      SEALED,
      [
        ['parity/task-removed', 'plans/a/be_backlog.yaml', 2, 'A-3', 'task A-3 was sealed in handoff #2 (.plan/handoffs/a/0002/handoff_manifest.yaml) but is gone from the backlog (it is now in plan b); to drop it on purpose, keep it with status: dropped'],
        ['parity/task-removed', 'plans/a/be_backlog.yaml', 2, 'A-4', 'task A-4 was sealed in handoff #2 (.plan/handoffs/a/0002/handoff_manifest.yaml) but is gone from the backlog; to drop it on purpose, keep it with status: dropped'],
        ['parity/file-removed', 'plans/a/api.json', undefined, undefined, 'plans/a/api.json was sealed in handoff #2 (.plan/handoffs/a/0002/handoff_manifest.yaml) but no longer exists'],
      ],
    ],
  ])('%s', (_name, snapshot, expected) => {
    const findings = run(parityValidator, FILES, { lastHandoff: (id) => (id === 'a' ? snapshot : undefined), inScope: (p) => p.startsWith('plans/a/') });
    expect(findings.map((f) => [f.rule, f.file, f.line, f.task, f.message])).toEqual(expected);
    for (const f of findings) expect(f).toMatchObject({ severity: 'error', plan: 'a' });
  });

  it('says once per in-scope plan that there is no sealed handoff yet', () => {
    const findings = run(parityValidator, FILES, { lastHandoff: () => undefined });
    expect(findings).toEqual([
      { rule: 'parity/no-handoff', severity: 'info', message: 'plan a has no sealed handoff yet; parity is checked from the first seal on', file: 'plans/a/plan.yaml', plan: 'a' },
      { rule: 'parity/no-handoff', severity: 'info', message: 'plan b has no sealed handoff yet; parity is checked from the first seal on', file: 'plans/b/plan.yaml', plan: 'b' },
    ]);
    expect(run(parityValidator, FILES, { lastHandoff: () => undefined, inScope: (p) => p === 'plans/b/be_backlog.yaml' }).map((f) => f.plan)).toEqual(['b']);
  });

  it('reports a deleted backlog as every sealed task and the file removed', () => {
    const files = { 'plans/a/plan.yaml': plan('a') };
    const snapshot = { ...SEALED, files: ['plans/a/plan.yaml', 'plans/a/be_backlog.yaml'], taskIds: ['A-1'] };
    const findings = run(parityValidator, files, { lastHandoff: () => snapshot });
    expect(findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['parity/task-removed', 'plans/a/be_backlog.yaml', undefined],
      ['parity/file-removed', 'plans/a/be_backlog.yaml', undefined],
    ]);
  });

  it('does nothing without a handoff reader (plain lint)', () => {
    expect(run(parityValidator, FILES)).toEqual([]);
  });
});
