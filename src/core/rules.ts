import type { Severity } from './finding.js';

export interface RuleDescription {
  id: string;
  description: string;
  defaultSeverity: Severity;
}

/** Every stable rule id `plan` reports, with what it means. Suppressions and config `lint.rules` use these ids. */
const CATALOGUE: Array<[string, Severity, string]> = [
  ['file/too-large', 'error', 'The file is larger than lint.max_file_bytes and was not read.'],
  ['file/binary', 'error', 'The file contains NUL bytes; planning artifacts must be text.'],
  ['file/invalid-utf8', 'error', 'The file is not valid UTF-8.'],
  ['file/conflict-marker', 'error', 'The file contains git conflict markers from an unfinished merge.'],
  ['file/symlink', 'error', 'Planning artifacts must be regular files; a symbolic link can point outside the repository.'],
  ['yaml/syntax', 'error', 'The YAML does not parse.'],
  ['yaml/duplicate-key', 'error', 'A mapping has the same key twice; YAML readers disagree on which value wins.'],
  ['yaml/alias-limit', 'error', 'The file uses more aliases than lint.max_aliases allows (alias bombs expand exponentially).'],
  ['yaml/too-deep', 'error', 'The file nests deeper than lint.max_depth.'],
  ['yaml/tab-indent', 'error', 'A tab character is used for indentation.'],
  ['yaml/trailing-space', 'warning', 'A line ends with whitespace.'],
  ['yaml/final-newline', 'warning', 'The file does not end with a newline.'],
  ['yaml/truthy', 'warning', 'A yes/no/on/off word means a boolean in YAML 1.1 and a string in YAML 1.2.'],
  ['json/syntax', 'error', 'The JSON does not parse.'],
  ['json/duplicate-key', 'error', 'An object has the same key twice.'],
  ['json/too-deep', 'error', 'The file nests deeper than lint.max_depth.'],
  ['schema/required', 'error', 'A required property is missing.'],
  ['schema/unknown-property', 'error', 'A property the schema does not define.'],
  ['schema/enum', 'error', 'A value outside the allowed set.'],
  ['schema/type', 'error', 'A value of the wrong type.'],
  ['schema/format', 'error', 'A value that is not in the required format (date, date-time, ...).'],
  ['schema/unique-items', 'error', 'A list that must not repeat items repeats one.'],
  ['plan/missing-plan-file', 'error', 'A plan folder without plan.yaml.'],
  ['plan/id-mismatch', 'error', "plan.yaml's id differs from its folder name."],
  ['ref/duplicate-task', 'error', 'Two tasks in the repository share an id.'],
  ['ref/unknown-dependency', 'error', 'A task depends on a task id that exists nowhere in the repository.'],
  ['ref/unknown-story-task', 'error', 'The story map mentions a task id that exists nowhere in the repository.'],
  ['ref/missing-artifact', 'error', 'plan.yaml names a file that does not exist in the plan folder.'],
  ['ref/path-escape', 'error', 'A path leaves the plan folder (absolute, or climbing with ..).'],
  ['deps/cycle', 'error', 'Tasks depend on each other in a cycle; none of them can start.'],
  ['deps/max-depth', 'error', 'A chain of dependencies is deeper than max_depth.'],
  ['governance/unknown-tag', 'warning', 'plan.yaml sets a tag that governance.yaml does not define.'],
  ['governance/tag-value', 'error', 'A governance tag has a value outside its allowed values.'],
  ['governance/invalid-tags', 'error', 'A tag value is outside governance.yaml, so governance rules cannot be evaluated honestly.'],
  ['governance/approval-invalid', 'warning', 'An approval that does not count: edited, copied, by an untrusted or revoked key, or for older content.'],
  ['governance/waiver-expired', 'warning', 'A waiver in rulebook/waivers.yaml has expired and no longer counts.'],
  ['suppress/invalid', 'error', 'A plan-disable-next-line comment names no rule.'],
  ['suppress/missing-reason', 'error', 'A suppression must say why, after " -- ".'],
  ['suppress/unused', 'warning', 'A suppression that silences nothing.'],
  ['timeline/start-after-due', 'error', 'A task starts after its due date.'],
  ['timeline/starts-before-dependency-due', 'error', 'A task starts before a task it depends on (in any plan) is due.'],
  ['timeline/beyond-horizon', 'warning', "An open task is due more than the timeline_checker's horizon_days after today."],
  ['capacity/over', 'error', "A team's effort_points planned in one cycle, across all plans, exceed its capacity in team_capacity.yaml."],
  ['capacity/no-team', 'info', 'Open tasks without a team count against no capacity.'],
  ['capacity/model-missing', 'error', "The resource_validator's capacity model could not be loaded, so capacity was not checked."],
  ['coverage/stories', 'error', 'Fewer than min_percent of the story-map stories reference an existing task.'],
  ['coverage/no-stories', 'warning', 'The plan has no story map, or its story map has no stories, so story coverage cannot be measured.'],
  ['coverage/report-missing', 'error', 'The code-coverage report the coverage validator names does not exist.'],
  ['coverage/report-invalid', 'error', 'The code-coverage report is not valid istanbul json-summary, lcov or cobertura.'],
  ['coverage/code', 'error', 'Line coverage in the code-coverage report is below min_percent, or the report measured no lines.'],
  ['parity/no-handoff', 'info', 'The plan has no sealed handoff yet; parity is checked from the first seal on.'],
  ['parity/task-removed', 'error', 'A task in the last sealed handoff is gone from the backlog; drop tasks with status: dropped instead.'],
  ['parity/file-removed', 'error', 'A file sealed in the last handoff no longer exists.'],
];

export const RULES: ReadonlyMap<string, RuleDescription> = new Map(CATALOGUE.map(([id, defaultSeverity, description]) => [id, { id, defaultSeverity, description }]));

/** The description of a rule id, including the generic schema/<keyword> family. */
export function describeRule(id: string): RuleDescription {
  const known = RULES.get(id);
  if (known) return known;
  if (id.startsWith('schema/')) return { id, defaultSeverity: 'error', description: `A value violates the schema keyword "${id.slice(7)}".` };
  if (id.startsWith('governance/')) return { id, defaultSeverity: 'error', description: `A requirement of the governance rule ${id.slice(11)} (rulebook/governance.yaml) is not met.` };
  return { id, defaultSeverity: 'error', description: id };
}
