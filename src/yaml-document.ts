import YAML from 'yaml';

// Reading YAML that people (or an API caller) hand us, within limits: a size, a nesting depth
// and an alias budget, each refused with the file and line before the document is expanded.
// The yaml library's composer recurses once per flow level and its toJS() expands aliases, so
// an 800-deep `[[[…]]]` or a "billion laughs" of aliases would otherwise end as a stack
// overflow or a resource-exhaustion error instead of a message naming the place.

export interface YamlLimits {
  /** Bytes of UTF-8 text. */
  maxBytes: number;
  /** Nested collections (maps and sequences, block or flow), the top one counting 1. */
  maxDepth: number;
  /** The yaml library's alias budget: aliases expanded × nodes each expands to. */
  maxAliasCount: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 1024 * 1024, maxDepth: 64, maxAliasCount: 100 };

export type ReadYaml = { doc: YAML.Document; raw: unknown; problems?: undefined } | { problems: string[] };

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** The line where flow collections ([ and {) first nest deeper than `max`; the lexer is iterative. */
function tooDeepFlow(text: string, max: number): number | undefined {
  let depth = 0;
  let line = 1;
  for (const token of new YAML.Lexer().lex(text)) {
    const type = YAML.CST.tokenType(token);
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      depth += 1;
      if (depth > max) return line;
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') depth -= 1;
    // Tokens are the source's own text (plus control marks without newlines): count its lines.
    for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line += 1;
  }
  return undefined;
}

/** The first collection node nested deeper than `max`, walked without recursion. */
function tooDeepNode(doc: YAML.Document, max: number): YAML.Node | undefined {
  const stack: Array<[unknown, number]> = [[doc.contents, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!YAML.isCollection(node)) continue;
    if (depth > max) return node;
    for (const item of node.items) {
      if (YAML.isPair(item)) {
        stack.push([item.key, depth + 1]);
        stack.push([item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Parses one YAML document within `limits`; every problem starts with `file:line:`. On success
 * the document (for line numbers) and its plain value.
 */
export function readYamlDocument(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): ReadYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes)
    return { problems: [`${file}: the file is ${bytes} bytes; at most ${limits.maxBytes} are accepted`] };
  const deepFlow = tooDeepFlow(text, limits.maxDepth);
  if (deepFlow !== undefined)
    return {
      problems: [`${file}:${deepFlow}: collections nest more than ${limits.maxDepth} deep; flatten the document`],
    };
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    return { problems: doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}`) };
  const deep = tooDeepNode(doc, limits.maxDepth);
  if (deep)
    return {
      problems: [
        `${file}:${lineAt(text, deep.range?.[0] ?? 0)}: collections nest more than ${limits.maxDepth} deep; flatten the document`,
      ],
    };
  try {
    return { doc, raw: doc.toJS({ maxAliasCount: limits.maxAliasCount }) as unknown };
  } catch (err) {
    // toJS throws a ReferenceError when aliases would expand past the budget.
    if (!(err instanceof ReferenceError)) throw err;
    const first = firstAlias(doc);
    const why = /excessive alias count/i.test(err.message)
      ? `aliases expand too far (${err.message}); at most ${limits.maxAliasCount} alias expansions are accepted, write the values out`
      : `an alias cannot be expanded (${err.message})`;
    return { problems: [`${file}${first === undefined ? '' : `:${lineAt(text, first)}`}: ${why}`] };
  }
}

function firstAlias(doc: YAML.Document): number | undefined {
  let at: number | undefined;
  YAML.visit(doc, {
    Alias(_, node) {
      at = node.range?.[0];
      return YAML.visit.BREAK;
    },
  });
  return at;
}

/** The line of a path in the document: the deepest node on the path that exists. */
export function lineOf(doc: YAML.Document, text: string, issuePath: PropertyKey[]): number | undefined {
  for (let depth = issuePath.length; depth > 0; depth -= 1) {
    const node = doc.getIn(issuePath.slice(0, depth) as (string | number)[], true) as YAML.Node | undefined;
    if (node?.range) return lineAt(text, node.range[0]);
  }
  return undefined;
}
