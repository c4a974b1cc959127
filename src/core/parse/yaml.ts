import jsyaml from 'js-yaml';
import { Composer, isMap, isScalar, isSeq, isAlias, Lexer, Parser, visit, YAMLParseError, type CST, type Document, type Node } from 'yaml';
import type { Finding } from '../finding.js';
import type { LineIndex } from './lines.js';
import { CORE_SCHEMA } from './yaml_schema.js';

export interface YamlLimits {
  /** Deepest nesting of collections accepted. */
  maxDepth: number;
  /** Most alias nodes accepted in one file; aliases are how billion-laughs bombs are built. */
  maxAliases: number;
}

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  /** The document as plain data; undefined when it could not be parsed safely. */
  value: unknown;
  findings: Finding[];
  /** Where a value (or, with `key`, its key) starts in the source; resolves as deep as the path exists. */
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): Position;
}

// An anchor or alias outside quotes sends the file down the careful path, which counts aliases.
const MAYBE_ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,[\]{}]/m;

/**
 * Parses YAML 1.2 (core schema: no timestamps, no merge keys) into plain data.
 * js-yaml is ~13x faster than `yaml`, so it reads the files that have no anchors or aliases;
 * anything it rejects, and anything with aliases, is read by `yaml`, whose errors are complete
 * (all duplicate keys, not the first) and whose alias counting stops billion-laughs bombs.
 * Both refuse nesting past limits.maxDepth before they recurse into it: js-yaml by its maxDepth,
 * `yaml` by a walk of its concrete syntax tree before composing.
 */
export function parseYaml(file: string, text: string, lines: LineIndex, limits: YamlLimits): ParsedYaml {
  let cst: ReturnType<typeof parseCst> | undefined;
  let document: Document | undefined;
  const cstTokens = (): CST.Token[] => (cst ??= parseCst(text, 2 * limits.maxDepth + 16)).tokens;
  const getDocument = (): Document => (document ??= composeDocument(cstTokens(), text.length));
  // Findings are located on the concrete syntax tree, cheaper than composing a Document.
  const locate = (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Position => {
    if (document) return locateInDocument(document, lines, path, part);
    const top = path.length === 1 ? topLevelKey(text, String(path[0]), part) : undefined;
    if (top !== undefined) return lines.position(top);
    const root = firstDocument(cstTokens());
    const offset = root ? locateInCst(root, path, part) : undefined;
    return offset === undefined ? locateInDocument(getDocument(), lines, path, part) : lines.position(offset);
  };

  if (!MAYBE_ANCHOR_OR_ALIAS.test(text)) {
    try {
      const value = jsyaml.load(text, { schema: CORE_SCHEMA, filename: file, maxDepth: limits.maxDepth } as jsyaml.LoadOptions);
      // An empty document is null, as `yaml` reads it, so the schema reports it rather than skipping it.
      return { value: value ?? null, findings: [], locate };
    } catch {
      // fall through: `yaml` reports the problem completely and with positions
    }
  }

  const findings: Finding[] = [];
  const deep = tooDeep(cstTokens(), limits.maxDepth);
  const stoppedAt = cst?.stoppedAt;
  if (deep || stoppedAt !== undefined) {
    const depth = deep ? `${stoppedAt === undefined ? '' : 'more than '}${deep.depth}` : `more than ${2 * limits.maxDepth}`;
    findings.push({ rule: 'yaml/too-deep', severity: 'error', message: `nesting is ${depth} levels deep, over the limit of ${limits.maxDepth} (lint.max_depth)`, file, ...lines.position(deep?.offset ?? stoppedAt!) });
    return { value: undefined, findings, locate };
  }
  const doc = getDocument();
  for (const error of doc.errors) {
    const duplicate = error.code === 'DUPLICATE_KEY';
    const stackRanOut = /call stack/i.test(error.message);
    // where the stack ran out depends on the process, not the file: report the document's start
    const pos = stackRanOut ? { line: 1, column: 1 } : lines.position(error.pos[0]);
    findings.push({
      rule: duplicate ? 'yaml/duplicate-key' : stackRanOut ? 'yaml/too-deep' : 'yaml/syntax',
      severity: 'error',
      message: duplicate ? duplicateKeyMessage(text, error.pos[0]) : stackRanOut ? `nesting is too deep to parse (limit ${limits.maxDepth})` : firstLine(error.message),
      file,
      ...pos,
    });
  }
  if (findings.length > 0) return { value: undefined, findings, locate };

  let aliases = 0;
  let firstAlias: number | undefined;
  visit(doc, {
    Alias(_, node) {
      aliases++;
      firstAlias ??= node.range?.[0];
    },
  });
  if (aliases > limits.maxAliases) {
    findings.push({
      rule: 'yaml/alias-limit',
      severity: 'error',
      message: `${aliases} aliases, over the limit of ${limits.maxAliases} (lint.max_aliases): refusing to expand what may be an alias bomb`,
      file,
      ...lines.position(firstAlias ?? 0),
    });
    return { value: undefined, findings, locate };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: Math.max(limits.maxAliases, 1) * 10 });
  } catch (error) {
    findings.push({ rule: 'yaml/alias-limit', severity: 'error', message: firstLine(String((error as Error).message)), file, line: 1, column: 1 });
  }
  return { value, findings, locate };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function duplicateKeyMessage(text: string, offset: number): string {
  const key = /^["']?([^"':\n]*)/.exec(text.slice(offset, offset + 200))?.[1]?.trim();
  return key ? `duplicate key "${key}"` : 'duplicate key';
}

/** The first document of a stream, as `parseDocument` composes it: a second document is an error. */
function composeDocument(tokens: readonly CST.Token[], length: number): Document {
  let doc: Document | undefined;
  for (const next of new Composer({ schema: 'core', merge: false, uniqueKeys: true, keepSourceTokens: false, logLevel: 'error' }).compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError(next.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  return doc!;
}

/**
 * The syntax tree's top-level tokens. The parser stops once `bound` tokens are open (each open
 * collection is one): its own work on 100,000 levels takes most of a second, and anything that
 * deep is refused anyway. What is open then is closed, so the tree holds the levels read so far.
 */
function parseCst(text: string, bound: number): { tokens: CST.Token[]; stoppedAt?: number } {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text, false)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > bound) {
      const stoppedAt = parser.offset;
      for (const token of parser.end()) tokens.push(token);
      return { tokens, stoppedAt };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

/**
 * How deep the collections of a concrete syntax tree nest, and where the first one past `limit`
 * starts; undefined within the limit. The walk needs no recursion, unlike composing a Document,
 * which recurses once per level: thousands of levels bring V8 so near its stack limit that it
 * may abort the process (a regular expression compiled there runs out of memory) instead of throwing.
 */
function tooDeep(tokens: readonly CST.Token[], limit: number): { depth: number; offset: number } | undefined {
  let deepest = 0;
  let first: number | undefined;
  const reach = (depth: number, offset: number) => {
    if (depth > deepest) deepest = depth;
    if (depth === limit + 1 && (first === undefined || offset < first)) first = offset;
  };
  // each token with the depth of the collection that holds it
  const stack: Array<[CST.Token | null | undefined, number]> = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, outer] = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') stack.push([token.value, outer]);
    else if (token.type === 'block-scalar') for (const prop of token.props) stack.push([prop, outer]);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      const depth = outer + 1;
      reach(depth, token.offset);
      const seq = token.type === 'flow-collection' && token.start.source === '[';
      for (const item of token.items as CST.CollectionItem[]) {
        // a pair in a flow sequence, `[a: 1]`, is a mapping of its own
        const pair = seq && (item.sep !== undefined || item.start.some((t) => t.type === 'explicit-key-ind'));
        if (pair) reach(depth + 1, item.key?.offset ?? item.value?.offset ?? token.offset);
        stack.push([item.key, pair ? depth + 1 : depth], [item.value, pair ? depth + 1 : depth]);
      }
    }
  }
  return first === undefined ? undefined : { depth: deepest, offset: first };
}

function locateInDocument(doc: Document, lines: LineIndex, path: readonly PathSegment[], part: 'key' | 'value'): Position {
  let node: unknown = doc.contents;
  let best: number = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      // a path through a collection key stops at its map: stringifying the key to compare it is exponential in its nesting (`? ? ? x`)
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const keyStart = rangeStart(pair.key);
      if (last && part === 'key' && keyStart !== undefined) return lines.position(keyStart);
      node = pair.value;
      best = rangeStart(node) ?? keyStart ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
      best = rangeStart(node) ?? best;
    } else break;
  }
  return lines.position(best);
}

function rangeStart(node: unknown): number | undefined {
  if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) return (node as Node).range?.[0];
  return undefined;
}

function firstDocument(tokens: readonly CST.Token[]): CST.Token | undefined {
  for (const token of tokens) if (token.type === 'document') return token.value;
  return undefined;
}

/** The offset of a path in the CST, as deep as it exists; undefined when the shape is unexpected. */
function locateInCst(root: CST.Token, path: readonly PathSegment[], part: 'key' | 'value'): number | undefined {
  let node: CST.Token | undefined = root;
  let best = root.offset;
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (node.type === 'block-map' || (node.type === 'flow-collection' && node.start.source === '{')) {
      const item: CST.CollectionItem | undefined = (node.items as CST.CollectionItem[]).find((it) => it.key !== undefined && it.key !== null && scalarText(it.key) === String(segment));
      if (!item?.key) break;
      if (last && part === 'key') return item.key.offset;
      node = item.value ?? undefined;
      best = node?.offset ?? item.key.offset;
    } else if ((node.type === 'block-seq' || node.type === 'flow-collection') && typeof segment === 'number') {
      const item = node.items[segment] as CST.CollectionItem | undefined;
      if (!item?.value) break;
      node = item.value;
      best = node.offset;
    } else break;
  }
  return best;
}

function scalarText(token: CST.Token): string | undefined {
  if (token.type === 'scalar') return token.source;
  if (token.type === 'single-quoted-scalar') return token.source.slice(1, -1).replace(/''/g, "'");
  if (token.type === 'double-quoted-scalar') {
    try {
      return JSON.parse(token.source) as string;
    } catch {
      return token.source.slice(1, -1);
    }
  }
  return undefined;
}

/** A top-level block key found by its line (`key:` at column 1): no parser needed for the most common lookups. */
function topLevelKey(text: string, key: string, part: 'key' | 'value'): number | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return undefined;
  const match = new RegExp(`^${key}[ \t]*:(?:[ \t]+(?=[^\s#]))?`, 'm').exec(text);
  if (!match) return undefined;
  if (part === 'key') return match.index;
  const after = match.index + match[0].length;
  return /[^\s#]/.test(text[after] ?? '') ? after : undefined;
}
