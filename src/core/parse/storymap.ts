import { fromMarkdown } from 'mdast-util-from-markdown';
import type { Heading, List, ListItem, Nodes, Root, RootContent } from 'mdast';

export interface TaskReference {
  id: string;
  line: number;
  column: number;
}

export interface Story {
  text: string;
  line: number;
  taskIds: string[];
}

export interface Release {
  name: string;
  line: number;
  stories: Story[];
}

export interface Epic {
  name: string;
  line: number;
  backbone: string[];
  releases: Release[];
}

export interface StoryMap {
  title?: string;
  epics: Epic[];
  /** Every heading, in order: documentation requirements look for sections by name. */
  sections: Array<{ depth: number; text: string; line: number }>;
  /** Every task id mentioned anywhere in the map, with its position. */
  taskRefs: TaskReference[];
}

/**
 * Reads a story map in the seed's §2.2 shape: `## Epic: name`, then `### Backbone` (the user
 * activities, as bold items or list items), and release sections (`### Walking Skeleton (MVP)`,
 * `### Release 1 Features`, anything with "release" or "mvp") whose list items are stories.
 * Task ids are found wherever they appear; a story owns the ids in its own list item.
 */
export function parseStoryMap(text: string, taskIdPattern: RegExp): StoryMap {
  const root = fromMarkdown(text) as Root;
  const map: StoryMap = { epics: [], sections: [], taskRefs: [] };
  const scan = scannerFor(taskIdPattern);
  let epic: Epic | undefined;
  let section: 'backbone' | Release | undefined;

  for (const node of root.children) {
    if (node.type === 'heading') {
      const title = plainText(node).trim();
      const line = node.position?.start.line ?? 1;
      map.sections.push({ depth: node.depth, text: title, line });
      collectRefs(node, scan, map.taskRefs);
      if (node.depth === 1 && map.title === undefined) {
        map.title = title;
        section = undefined;
      } else if (node.depth === 2) {
        const name = /^epic\s*:\s*(.*)$/i.exec(title)?.[1];
        epic = name === undefined ? undefined : { name: name.trim(), line, backbone: [], releases: [] };
        if (epic) map.epics.push(epic);
        section = undefined;
      } else if (epic && node.depth >= 3) {
        section = classifySection(node, title, line);
        if (section !== 'backbone' && section) epic.releases.push(section);
      }
      continue;
    }
    collectRefs(node, scan, map.taskRefs);
    if (!epic || !section) continue;
    if (section === 'backbone') epic.backbone.push(...backboneActivities(node));
    else if (node.type === 'list') section.stories.push(...storiesOf(node, scan));
  }
  return map;
}

function classifySection(_node: Heading, title: string, line: number): 'backbone' | Release | undefined {
  if (/backbone/i.test(title)) return 'backbone';
  if (/release|mvp|walking skeleton|milestone/i.test(title)) return { name: title, line, stories: [] };
  return undefined;
}

function backboneActivities(node: RootContent): string[] {
  const strong: string[] = [];
  walk(node, (n) => {
    if (n.type === 'strong') strong.push(plainText(n).trim());
  });
  if (strong.length > 0) return strong;
  if (node.type === 'list') return node.children.map((item) => plainText(item).trim()).filter(Boolean);
  return plainText(node)
    .split(/→|->/)
    .map((s) => s.replace(/^\s*\d+\.\s*/, '').trim())
    .filter(Boolean);
}

function storiesOf(list: List, scan: (text: string) => Array<{ id: string; index: number }>): Story[] {
  const stories: Story[] = [];
  for (const item of list.children) {
    const own = item.children.filter((c) => c.type !== 'list');
    const text = own.map((c) => plainText(c)).join(' ').replace(/\s+/g, ' ').trim();
    stories.push({ text, line: item.position?.start.line ?? 1, taskIds: [...new Set(scan(text).map((m) => m.id))] });
    for (const nested of item.children) if (nested.type === 'list') stories.push(...storiesOf(nested, scan));
  }
  return stories;
}

function collectRefs(node: Nodes, scan: (text: string) => Array<{ id: string; index: number }>, out: TaskReference[]): void {
  walk(node, (n) => {
    if ((n.type === 'text' || n.type === 'inlineCode') && n.position) {
      for (const match of scan(n.value)) {
        // inline code values lose their backtick, so the offset shifts by one
        const before = n.value.slice(0, match.index);
        const newlines = before.split('\n');
        const line = n.position.start.line + newlines.length - 1;
        const shift = n.type === 'inlineCode' ? 1 : 0;
        const column = newlines.length === 1 ? n.position.start.column + shift + match.index : newlines[newlines.length - 1]!.length + 1;
        out.push({ id: match.id, line, column });
      }
    }
  });
}

function scannerFor(taskIdPattern: RegExp): (text: string) => Array<{ id: string; index: number }> {
  const body = taskIdPattern.source.replace(/^\^/, '').replace(/\$$/, '');
  const regex = new RegExp(`(?<![A-Za-z0-9_-])(?:${body})(?![A-Za-z0-9_-])`, 'g');
  return (text) => [...text.matchAll(regex)].map((m) => ({ id: m[0], index: m.index }));
}

function walk(node: Nodes, visit: (n: Nodes) => void): void {
  const stack: Nodes[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    visit(n);
    if ('children' in n) for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as Nodes);
  }
}

function plainText(node: Nodes | ListItem): string {
  let out = '';
  walk(node as Nodes, (n) => {
    if (n.type === 'text' || n.type === 'inlineCode') out += n.value;
    else if (n.type === 'break') out += ' ';
  });
  return out;
}
