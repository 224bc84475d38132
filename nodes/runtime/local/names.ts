// ROS 2 name rules as rcl/rmw apply them: validation of node names, namespaces and topic names,
// expansion of relative (`x`), private (`~/x`) and substituted (`{node}`, `{ns}`) topic names,
// and remap rules (`from:=to`, `node:from:=to`; the first matching rule wins).

const MAX_NAME_LENGTH = 255;

export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NameError';
  }
}

export function validateNodeName(name: string): void {
  if (name.length === 0) throw new NameError('node name must not be empty');
  const bad = /[^a-zA-Z0-9_]/.exec(name);
  if (bad) throw new NameError(`node name "${name}": character "${bad[0]}" at ${bad.index} is not allowed (only letters, digits and "_")`);
  if (/^[0-9]/.test(name)) throw new NameError(`node name "${name}" must not start with a digit`);
  if (name.length > MAX_NAME_LENGTH) throw new NameError(`node name "${name.slice(0, 20)}…" is longer than ${MAX_NAME_LENGTH} characters`);
}

/** A fully qualified name: absolute, tokens of [a-zA-Z0-9_] not starting with a digit. */
function validateFullName(kind: string, name: string, allowRoot: boolean): void {
  if (name.length === 0) throw new NameError(`${kind} must not be empty`);
  if (name[0] !== '/') throw new NameError(`${kind} "${name}" must be absolute (start with "/")`);
  if (name === '/') {
    if (allowRoot) return;
    throw new NameError(`${kind} "/" is not a valid name`);
  }
  const bad = /[^a-zA-Z0-9_/]/.exec(name);
  if (bad) throw new NameError(`${kind} "${name}": character "${bad[0]}" at ${bad.index} is not allowed (only letters, digits, "_" and "/")`);
  if (name.endsWith('/')) throw new NameError(`${kind} "${name}" must not end with "/"`);
  if (name.includes('//')) throw new NameError(`${kind} "${name}" must not contain "//"`);
  for (const token of name.split('/')) {
    if (/^[0-9]/.test(token)) throw new NameError(`${kind} "${name}": the token "${token}" must not start with a digit`);
  }
  if (name.length > MAX_NAME_LENGTH) throw new NameError(`${kind} "${name.slice(0, 30)}…" is longer than ${MAX_NAME_LENGTH} characters`);
}

export function validateNamespace(ns: string): void {
  validateFullName('namespace', ns, true);
}

export function validateFullTopicName(name: string): void {
  validateFullName('topic name', name, false);
}

/** rcl_validate_topic_name: what a user may write before expansion. */
function validateTopicInput(name: string): void {
  if (name.length === 0) throw new NameError('topic name must not be empty');
  const bad = /[^a-zA-Z0-9_/~{}]/.exec(name);
  if (bad) {
    throw new NameError(`topic name "${name}": character "${bad[0]}" at ${bad.index} is not allowed (letters, digits, "_", "/", a leading "~", and {substitutions})`);
  }
  const tilde = name.indexOf('~', 1);
  if (tilde > 0) throw new NameError(`topic name "${name}": "~" may only start the name ("~/x" is private to the node)`);
  if (name[0] === '~' && name.length > 1 && name[1] !== '/') throw new NameError(`topic name "${name}": "~" must be followed by "/" ("~/x")`);
  if (name.endsWith('/')) throw new NameError(`topic name "${name}" must not end with "/"`);
  if (name.includes('//')) throw new NameError(`topic name "${name}" must not contain "//"`);
  if (/^[0-9]/.test(name)) throw new NameError(`topic name "${name}" must not start with a digit`);
  let depth = 0;
  for (const ch of name) {
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    if (depth < 0 || depth > 1) throw new NameError(`topic name "${name}" has unbalanced or nested braces`);
  }
  if (depth !== 0) throw new NameError(`topic name "${name}" has an unclosed "{"`);
}

/** Expands a topic name for a node as rcl_expand_topic_name does; the result is validated. */
export function expandTopicName(name: string, nodeName: string, namespace: string): string {
  validateTopicInput(name);
  let n = name.replace(/\{([^}]*)\}/g, (_m, key: string) => {
    if (key === 'node') return nodeName;
    if (key === 'ns' || key === 'namespace') return namespace === '/' ? '' : namespace.slice(1);
    throw new NameError(`topic name "${name}": unknown substitution {${key}} (known: {node}, {ns}, {namespace})`);
  });
  const fqn = namespace === '/' ? `/${nodeName}` : `${namespace}/${nodeName}`;
  if (n === '~') n = fqn;
  else if (n.startsWith('~/')) n = `${fqn}${n.slice(1)}`;
  else if (!n.startsWith('/')) n = namespace === '/' ? `/${n}` : `${namespace}/${n}`;
  validateFullTopicName(n);
  return n;
}

export interface RemapRule {
  node?: string;
  from: string;
  to: string;
}

/**
 * Applies the first rule whose `from`, expanded for this node, equals the expanded topic name
 * (rcl_remap_topic_name). Rules naming another node are skipped.
 */
export function remapTopic(expanded: string, rules: readonly RemapRule[], nodeName: string, namespace: string): string {
  for (const r of rules) {
    if (r.node !== undefined && r.node !== nodeName) continue;
    let from: string;
    try {
      from = expandTopicName(r.from, nodeName, namespace);
    } catch (e) {
      throw new NameError(`remap rule "${r.node ? `${r.node}:` : ''}${r.from}:=${r.to}": ${(e as Error).message}`);
    }
    if (from !== expanded) continue;
    try {
      return expandTopicName(r.to, nodeName, namespace);
    } catch (e) {
      throw new NameError(`remap rule "${r.node ? `${r.node}:` : ''}${r.from}:=${r.to}": ${(e as Error).message}`);
    }
  }
  return expanded;
}

/** Expansion then remapping: the name a publisher or subscription really uses. */
export function resolveTopicName(name: string, nodeName: string, namespace: string, rules: readonly RemapRule[]): string {
  return remapTopic(expandTopicName(name, nodeName, namespace), rules, nodeName, namespace);
}
