// DMS table-mapping wildcards (User Guide, "Wildcards in table mapping"):
//   %      zero or more characters
//   _      exactly one character
//   [_]    a literal underscore (generally: [x] is the set {x})
//   [ab]   one of the characters a, b
//   [a-d]  one character in the range a..d
// Matching is case-sensitive (the guide: "Column names, table names, view names,
// and schema names are case-sensitive"), and is done on Unicode code points.

export type NameMatcher = (name: string) => boolean;

// Syntax characters: the only identity escapes allowed with the `u` flag.
const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
const CLASS_SPECIAL = /[\\^\]\[-]/g;

function escapeRegex(s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&');
}

function escapeClassMember(s: string): string {
  return s.replace(CLASS_SPECIAL, '\\$&');
}

/** True when `pattern` contains a character that acts as a wildcard. */
export function hasWildcard(pattern: string): boolean {
  return /[%_]/.test(pattern) || hasBracketClass(pattern);
}

function hasBracketClass(pattern: string): boolean {
  const open = pattern.indexOf('[');
  return open >= 0 && pattern.indexOf(']', open + 2) > open;
}

/** Translate a DMS wildcard pattern into an anchored RegExp source. */
export function wildcardToRegexSource(pattern: string): string {
  const chars = Array.from(pattern);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '%') {
      // Collapse runs of % into one .*
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '_') {
      out += '.';
    } else if (c === '[') {
      // A class needs at least one member before its closing bracket: `[]` and an
      // unclosed `[` are literal.
      let j = i + 2;
      while (j < chars.length && chars[j] !== ']') j++;
      if (j >= chars.length) {
        out += escapeRegex(c);
        continue;
      }
      const members = chars.slice(i + 1, j);
      let cls = '';
      for (let k = 0; k < members.length; k++) {
        const m = members[k]!;
        if (m === '-' && k > 0 && k < members.length - 1) cls += '-';
        else cls += escapeClassMember(m);
      }
      out += `[${cls}]`;
      i = j;
    } else {
      out += escapeRegex(c);
    }
  }
  return `^${out}$`;
}

/** Compile a DMS wildcard pattern into a predicate over names. */
export function compileWildcard(pattern: string): NameMatcher {
  if (pattern === '%') return () => true;
  if (!hasWildcard(pattern)) return (name) => name === pattern;
  let re: RegExp;
  try {
    re = new RegExp(wildcardToRegexSource(pattern), 'su');
  } catch {
    // e.g. a reversed range [d-a]: nothing can match it.
    return () => false;
  }
  return (name) => re.test(name);
}

/** Exact (literal) comparison, used by `explicit` selection rules. */
export function compileLiteral(name: string): NameMatcher {
  return (n) => n === name;
}
