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
  /** Every task id mentioned outside code blocks and comments, with its position. */
  taskRefs: TaskReference[];
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const LIST_ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Reads a story map in the seed's §2.2 shape: `## Epic: name`, then `### Backbone` (the user
 * activities, as bold items or list items), and release sections (`### Walking Skeleton (MVP)`,
 * `### Release 1 Features`, anything with "release" or "mvp") whose list items are stories.
 *
 * A line-based reader of the Markdown block structure these files use (ATX headings, nested
 * lists, fenced code, HTML comments), about fifty times faster than building a full mdast tree,
 * which matters when a repository has a thousand plans. Task ids in code blocks and comments
 * do not count.
 */
export function parseStoryMap(text: string, taskIdPattern: RegExp): StoryMap {
  const map: StoryMap = { epics: [], sections: [], taskRefs: [] };
  const scan = scannerFor(taskIdPattern);
  const lines = text.split('\n');
  let epic: Epic | undefined;
  let section: 'backbone' | Release | undefined;
  let fence: string | undefined;
  let inComment = false;
  /** The open list items of the current section, innermost last, with their content indent. */
  let items: Array<{ story?: Story; indent: number; text: string }> = [];

  const closeItems = (): void => {
    for (const item of items) finishItem(item);
    items = [];
  };
  const finishItem = (item: { story?: Story; text: string }): void => {
    if (!item.story) return;
    item.story.text = stripInline(item.text).replace(/\s+/g, ' ').trim();
    item.story.taskIds = [...new Set(scan(item.text).map((m) => m.id))];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const lineNo = i + 1;
    if (fence) {
      if (line.trimStart().startsWith(fence)) fence = undefined;
      continue;
    }
    const fenceOpen = FENCE.exec(line);
    if (fenceOpen) {
      fence = fenceOpen[1]!.slice(0, 3);
      continue;
    }
    let visible = line;
    if (inComment || visible.includes('<!--')) {
      const stripped = stripComments(visible, inComment);
      visible = stripped.text;
      inComment = stripped.open;
    }
    for (const m of scan(visible)) map.taskRefs.push({ id: m.id, line: lineNo, column: m.index + 1 });

    const heading = HEADING.exec(visible);
    if (heading) {
      closeItems();
      const depth = heading[1]!.length;
      const title = stripInline(heading[2] ?? '').trim();
      map.sections.push({ depth, text: title, line: lineNo });
      if (depth === 1 && map.title === undefined) {
        map.title = title;
        section = undefined;
      } else if (depth === 2) {
        const name = /^epic\s*:\s*(.*)$/i.exec(title)?.[1];
        epic = name === undefined ? undefined : { name: name.trim(), line: lineNo, backbone: [], releases: [] };
        if (epic) map.epics.push(epic);
        section = undefined;
      } else if (epic && depth >= 3) {
        section = /backbone/i.test(title) ? 'backbone' : /release|mvp|walking skeleton|milestone/i.test(title) ? { name: title, line: lineNo, stories: [] } : undefined;
        if (section && section !== 'backbone') epic.releases.push(section);
      }
      continue;
    }
    if (!epic || !section || visible.trim() === '') continue;

    if (section === 'backbone') {
      const bold = [...visible.matchAll(/\*\*(.+?)\*\*|__(.+?)__/g)].map((m) => stripInline(m[1] ?? m[2]!).trim());
      if (bold.length > 0) epic.backbone.push(...bold);
      else {
        const item = LIST_ITEM.exec(visible);
        const content = item ? (item[2] ?? '') : visible;
        epic.backbone.push(...content.split(/→|->/).map((s) => stripInline(s.replace(/^\s*\d+[.)]\s*/, '')).trim()).filter(Boolean));
      }
      continue;
    }

    const item = LIST_ITEM.exec(visible);
    const indent = item ? item[1]!.replace(/\t/g, '    ').length : visible.length - visible.trimStart().length;
    while (items.length > 0 && indent <= items[items.length - 1]!.indent - (item ? 0 : 1)) finishItem(items.pop()!);
    if (item) {
      const story: Story = { text: '', line: lineNo, taskIds: [] };
      section.stories.push(story);
      items.push({ story, indent, text: item[2] ?? '' });
    } else if (items.length > 0) {
      items[items.length - 1]!.text += ` ${visible.trim()}`; // a continuation line of the item
    }
  }
  closeItems();
  return map;
}

function stripInline(text: string): string {
  return text.replace(/\*\*|__|`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
}

function stripComments(line: string, open: boolean): { text: string; open: boolean } {
  let out = '';
  let rest = line;
  let inside = open;
  while (rest.length > 0) {
    if (inside) {
      const end = rest.indexOf('-->');
      if (end === -1) return { text: out, open: true };
      out += ' '.repeat(end + 3); // keep columns of what follows
      rest = rest.slice(end + 3);
      inside = false;
    } else {
      const start = rest.indexOf('<!--');
      if (start === -1) return { text: out + rest, open: false };
      out += rest.slice(0, start) + '    ';
      rest = rest.slice(start + 4);
      inside = true;
    }
  }
  return { text: out, open: inside };
}

function scannerFor(taskIdPattern: RegExp): (text: string) => Array<{ id: string; index: number }> {
  const body = taskIdPattern.source.replace(/^\^/, '').replace(/\$$/, '');
  const regex = new RegExp(`(?<![A-Za-z0-9_-])(?:${body})(?![A-Za-z0-9_-])`, 'g');
  return (text) => [...text.matchAll(regex)].map((m) => ({ id: m[0], index: m.index }));
}
