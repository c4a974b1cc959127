/**
 * Helpers for the end-to-end tests: tree hashing (to prove a command changed nothing), the
 * "never a stack trace" checks, and small valid plan files to place next to a broken one.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { git, runPlan, treeSnapshot, type RunResult } from '../helpers.js';

/** Removes ANSI escape sequences (the helpers' FORCE_COLOR='' turns color on, see output.ts). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** A stack frame line as Node prints it: "    at fn (file:line:col)". */
export const STACK_FRAME = /\n\s+at .+\(.*:\d+:\d+\)/;

/** path → sha256 of every entry of the work tree except .git (symlinks hash their target text, never followed). */
export function treeHash(root: string): Record<string, string> {
  return Object.fromEntries(treeSnapshot(root));
}

/** `git status --porcelain` (untracked files listed one by one); a fixed marker outside a work tree. */
export function gitStatus(root: string): string {
  try {
    return git(root, 'status', '--porcelain', '--untracked-files=all');
  } catch {
    return '(not a work tree)';
  }
}

/** Asserts the CLI did not crash: no stack trace, no "internal error", in either stream. */
export function expectNoCrash(result: RunResult): void {
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toMatch(STACK_FRAME);
    expect(stream).not.toContain('internal error');
  }
}

/** Runs plan in `cwd` and asserts that the work tree and `git status` are the same afterwards. */
export function runUnchanged(cwd: string, args: readonly string[], options: Parameters<typeof runPlan>[2] = {}): RunResult {
  const before = treeHash(cwd);
  const statusBefore = gitStatus(cwd);
  const result = runPlan(cwd, args, options);
  expect(treeHash(cwd)).toEqual(before);
  expect(gitStatus(cwd)).toBe(statusBefore);
  return result;
}

export interface JsonFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  file?: string;
  line?: number;
  column?: number;
  plan?: string;
  task?: string;
}

export interface JsonLintReport {
  version: number;
  tool: { name: string; version: string };
  summary: { files: number; errors: number; warnings: number; infos: number };
  findings: JsonFinding[];
}

/** Parses `plan lint --format json` output, failing the test with the raw output when it is not JSON. */
export function parseReport(result: RunResult): JsonLintReport {
  try {
    return JSON.parse(result.stdout) as JsonLintReport;
  } catch {
    throw new Error(`not a JSON report (exit ${result.code}):\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 2000)}`);
  }
}

/** The single stderr line of a "could not run" error (exit 2), asserted to be exactly one line. */
export function oneErrorLine(result: RunResult): string {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `stderr should be one line:\n${result.stderr}`).toHaveLength(1);
  return lines[0]!;
}

/** The text of a 1-based line of a file (CRLF-tolerant). */
export function lineOf(path: string, line: number): string {
  return (readFileSync(path, 'utf8').split('\n')[line - 1] ?? '').replace(/\r$/, '');
}

export const VALID_PLAN = `id: p1
title: "Plan one"
version: "1.0.0"
owner: one@example.com
tags:
  criticality: 1
`;

export const VALID_BACKLOG = `version: "1.0.0"
tasks:
  - id: P1-001
    title: "First task"
    dependencies: []
  - id: P1-002
    title: "Second task"
    dependencies: ["P1-001"]
`;

export function planYaml(id: string, extra = ''): string {
  return `id: ${id}\ntitle: "Plan ${id}"\nversion: "1.0.0"\ntags:\n  criticality: 1\n${extra}`;
}

/** A backlog from `[id, deps]` pairs. */
export function backlogYaml(tasks: Array<[string, string[]]>): string {
  const body = tasks.map(([id, deps]) => `  - id: ${id}\n    title: "Task ${id}"\n    dependencies: [${deps.map((d) => `"${d}"`).join(', ')}]\n`).join('');
  return `version: "1.0.0"\ntasks:\n${body}`;
}
