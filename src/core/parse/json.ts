import { parse as parseMomoa, type AnyNode, type DocumentNode, type MemberNode } from '@humanwhocodes/momoa';
import type { Finding } from '../finding.js';
import { LineIndex } from './lines.js';
import type { ParsedYaml, PathSegment, Position } from './yaml.js';

/**
 * JSON with positions and duplicate-key detection, which JSON.parse silently lacks. Positions
 * come from offsets through `lines`: momoa also ends lines at a lone \r, the rest of plan does not.
 */
export function parseJson(file: string, text: string, maxDepth: number, lines = new LineIndex(text)): ParsedYaml {
  let ast: DocumentNode;
  const nothing = (findings: Finding[]): ParsedYaml => ({ value: undefined, findings, locate: () => ({ line: 1, column: 1 }) });
  try {
    ast = parseMomoa(text, { mode: 'json', ranges: true });
  } catch (error) {
    const e = error as { message: string; offset?: number };
    if (e instanceof RangeError) return nothing([{ rule: 'json/too-deep', severity: 'error', message: `nesting is too deep to parse (limit ${maxDepth})`, file, line: 1, column: 1 }]);
    return nothing([{ rule: 'json/syntax', severity: 'error', message: e.message.replace(/ \(\d+:\d+\)$/, ''), file, ...lines.position(e.offset ?? 0) }]);
  }
  const findings: Finding[] = [];
  let deepest = 0;
  const stack: Array<[AnyNode, number]> = [[ast.body, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node.type === 'Object') {
      deepest = Math.max(deepest, depth);
      const seen = new Set<string>();
      for (const member of node.members) {
        const key = member.name.type === 'String' ? member.name.value : member.name.name;
        if (seen.has(key)) findings.push({ rule: 'json/duplicate-key', severity: 'error', message: `duplicate key "${key}"`, file, ...lines.position(member.name.loc.start.offset) });
        seen.add(key);
        stack.push([member.value, depth + 1]);
      }
    } else if (node.type === 'Array') {
      deepest = Math.max(deepest, depth);
      for (const element of node.elements) stack.push([element.value, depth + 1]);
    }
  }
  if (deepest > maxDepth) findings.push({ rule: 'json/too-deep', severity: 'error', message: `nesting is ${deepest} levels deep, over the limit of ${maxDepth} (lint.max_depth)`, file, line: 1, column: 1 });
  if (findings.length > 0) return nothing(findings);

  const locate = (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Position => {
    let node: AnyNode = ast.body;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (node.type === 'Object') {
        const member: MemberNode | undefined = node.members.find((m) => (m.name.type === 'String' ? m.name.value : m.name.name) === String(segment));
        if (!member) break;
        if (i === path.length - 1 && part === 'key') return lines.position(member.name.loc.start.offset);
        node = member.value;
      } else if (node.type === 'Array' && typeof segment === 'number' && node.elements[segment]) {
        node = node.elements[segment]!.value;
      } else break;
    }
    return lines.position(node.loc.start.offset);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // momoa accepts a few things JSON.parse does not (raw control characters in strings)
    return nothing([{ rule: 'json/syntax', severity: 'error', message: (error as Error).message.split('\n')[0]!, file, line: 1, column: 1 }]);
  }
  return { value, findings, locate };
}
