package atlastest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// specPath is the contract the fake is checked against: the structure of Atlas's OpenAPI
// document for the export workflow, committed with the repository (.ci/prism-check serves the
// same file), so that a fresh clone checks the fake against it with nothing beside it.
var specPath = filepath.Join("..", "testdata", "backup-export.wire.yaml")

// loadSpec reads the contract once. A missing or unreadable file is an error: every schema
// check depends on it.
var loadSpec = sync.OnceValues(func() (*openAPI, error) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	return &openAPI{root: parseYAML(string(data))}, nil
})

// yamlNode is a node of the YAML subset OpenAPI documents use: block mappings, block
// sequences and scalars (plain, quoted, or folded over several lines), with anchors and
// aliases. Flow collections are read as scalars, which is all the checks need.
type yamlNode struct {
	scalar string
	keys   []string
	m      map[string]*yamlNode
	seq    []*yamlNode
}

// at walks a path of mapping keys; it returns nil where the path ends.
func (n *yamlNode) at(path ...string) *yamlNode {
	for _, k := range path {
		if n == nil || n.m == nil {
			return nil
		}
		n = n.m[k]
	}
	return n
}

// str is the scalar at path, or "".
func (n *yamlNode) str(path ...string) string {
	if c := n.at(path...); c != nil {
		return c.scalar
	}
	return ""
}

type yamlLine struct {
	indent int
	text   string
}

type yamlParser struct {
	lines   []yamlLine
	i       int
	anchors map[string]*yamlNode
}

func parseYAML(doc string) *yamlNode {
	p := &yamlParser{anchors: map[string]*yamlNode{}}
	for _, l := range strings.Split(doc, "\n") {
		text := strings.TrimSpace(l)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		p.lines = append(p.lines, yamlLine{indent: len(l) - len(strings.TrimLeft(l, " ")), text: text})
	}
	return p.node(0)
}

func isDash(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// node reads the value whose lines are indented at least min.
func (p *yamlParser) node(min int) *yamlNode {
	if p.i >= len(p.lines) || p.lines[p.i].indent < min {
		return &yamlNode{}
	}
	if l := p.lines[p.i]; isDash(l.text) {
		return p.sequence(l.indent)
	}
	return p.mapping(p.lines[p.i].indent)
}

func (p *yamlParser) sequence(indent int) *yamlNode {
	n := &yamlNode{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && isDash(p.lines[p.i].text) {
		after := p.lines[p.i].text[1:]
		item := strings.TrimLeft(after, " ")
		switch _, _, isEntry := splitKey(item); {
		case item == "":
			p.i++
			n.seq = append(n.seq, p.node(indent+1))
		case isEntry: // a mapping whose first entry shares the dash's line
			p.lines[p.i] = yamlLine{indent: indent + 1 + len(after) - len(item), text: item}
			n.seq = append(n.seq, p.mapping(p.lines[p.i].indent))
		default:
			p.i++
			n.seq = append(n.seq, p.scalar(item, indent))
		}
	}
	return n
}

func (p *yamlParser) mapping(indent int) *yamlNode {
	n := &yamlNode{m: map[string]*yamlNode{}}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && !isDash(p.lines[p.i].text) {
		key, rest, ok := splitKey(p.lines[p.i].text)
		p.i++
		if !ok {
			continue
		}
		var child *yamlNode
		switch {
		case rest == "" || strings.HasPrefix(rest, "&"):
			child = p.block(indent)
			if anchor, ok := strings.CutPrefix(rest, "&"); ok {
				p.anchors[anchor] = child
			}
		case strings.HasPrefix(rest, "*"):
			child = p.anchors[rest[1:]]
		default:
			child = p.scalar(rest, indent)
		}
		n.keys = append(n.keys, key)
		n.m[key] = child
	}
	return n
}

// block reads the value of a key written on its own line: indented deeper, or a sequence at
// the key's own indentation.
func (p *yamlParser) block(indent int) *yamlNode {
	if p.i < len(p.lines) && p.lines[p.i].indent == indent && isDash(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.node(indent + 1)
}

// scalar reads a scalar that may continue on the following, deeper-indented lines.
func (p *yamlParser) scalar(first string, indent int) *yamlNode {
	parts := []string{first}
	for p.i < len(p.lines) && p.lines[p.i].indent > indent {
		parts = append(parts, p.lines[p.i].text)
		p.i++
	}
	s := strings.Join(parts, " ")
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		s = strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	return &yamlNode{scalar: s}
}

// splitKey splits "key: value" (the key plain or quoted) and reports whether text is an entry.
func splitKey(text string) (key, rest string, ok bool) {
	if text == "" {
		return "", "", false
	}
	if q := text[0]; q == '\'' || q == '"' {
		end := strings.IndexByte(text[1:], q)
		if end < 0 || !strings.HasPrefix(text[end+2:], ":") {
			return "", "", false
		}
		key, rest = text[1:end+1], text[end+3:]
		return key, strings.TrimSpace(rest), rest == "" || rest[0] == ' '
	}
	if k, r, found := strings.Cut(text, ": "); found {
		return k, strings.TrimSpace(r), true
	}
	if k, found := strings.CutSuffix(text, ":"); found {
		return k, "", true
	}
	return "", "", false
}

// openAPI answers the questions the conformance checks ask of the contract.
type openAPI struct{ root *yamlNode }

// operation finds the operation a request addressed: the path template matching it with the
// most literal segments (so .../snapshots/shardedClusters is not .../snapshots/{snapshotId}).
func (o *openAPI) operation(method, path string) (op *yamlNode, template string) {
	segs := strings.Split(path, "/")
	best := -1
	paths := o.root.at("paths")
templates:
	for _, t := range paths.keys {
		tsegs := strings.Split(t, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		literal := 0
		for i, ts := range tsegs {
			switch {
			case strings.HasPrefix(ts, "{") && segs[i] != "":
			case ts == segs[i]:
				literal++
			default:
				continue templates
			}
		}
		if literal > best {
			best, template = literal, t
		}
	}
	if best < 0 {
		return nil, ""
	}
	return paths.at(template, strings.ToLower(method)), template
}

// response is the operation's declared response for status, with $ref resolved.
func (o *openAPI) response(op *yamlNode, status int) *yamlNode {
	return o.resolve(op.at("responses", strconv.Itoa(status)), nil)
}

// resolve follows a $ref to its component; subst renames referenced schemas.
func (o *openAPI) resolve(n *yamlNode, subst map[string]string) *yamlNode {
	ref := n.str("$ref")
	if ref == "" {
		return n
	}
	parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if name := parts[len(parts)-1]; subst[name] != "" {
		parts[len(parts)-1] = subst[name]
	}
	return o.root.at(parts...)
}

// validate checks a JSON value (decoded with UseNumber) against a schema: types, required and
// undeclared properties, writeOnly properties in a response, enums, patterns, formats,
// lengths, bounds, and the x-xgen-discriminator's per-type properties.
func (o *openAPI) validate(schema *yamlNode, v any, at string, subst map[string]string) error {
	schema = o.resolve(schema, subst)
	if schema == nil {
		return fmt.Errorf("%s: the schema is not in the spec", at)
	}
	switch schema.str("type") {
	case "object":
		return o.validateObject(schema, v, at, subst)
	case "array":
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not an array", at)
		}
		for i, item := range items {
			if err := o.validate(schema.at("items"), item, fmt.Sprintf("%s[%d]", at, i), subst); err != nil {
				return err
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: not a string", at)
		}
		return checkString(schema, s, at)
	case "integer":
		n, ok := v.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return fmt.Errorf("%s: not an integer", at)
		}
		if schema.str("format") == "int32" && int64(int32(i)) != i {
			return fmt.Errorf("%s: %d is not an int32", at, i)
		}
		if m := schema.str("minimum"); m != "" && i < mustInt(m) {
			return fmt.Errorf("%s: %d is below the minimum %s", at, i, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: not a boolean", at)
		}
	}
	return nil
}

func (o *openAPI) validateObject(schema *yamlNode, v any, at string, subst map[string]string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: not an object", at)
	}
	props := schema.at("properties")
	for k, pv := range obj {
		if props == nil {
			continue
		}
		ps := props.at(k)
		switch {
		case ps == nil:
			return fmt.Errorf("%s: %s is not a property of the schema", at, k)
		case ps.str("writeOnly") == "true":
			return fmt.Errorf("%s: %s is write-only", at, k)
		}
		if err := o.validate(ps, pv, at+"."+k, subst); err != nil {
			return err
		}
	}
	required := schema.at("required")
	if d := schema.at("x-xgen-discriminator"); d != nil {
		value, _ := obj[d.str("propertyName")].(string)
		mapping := d.at("mapping")
		chosen := mapping.at(value)
		for _, other := range mapping.keys {
			for _, p := range mapping.at(other, "properties").seqStrings() {
				if _, has := obj[p]; has && !slices.Contains(chosen.at("properties").seqStrings(), p) {
					return fmt.Errorf("%s: %s belongs to %s, not to %s", at, p, other, value)
				}
			}
		}
		if chosen != nil {
			required = &yamlNode{seq: append(slices.Clone(required.seqNodes()), chosen.at("required").seqNodes()...)}
		}
	}
	for _, r := range required.seqStrings() {
		if _, has := obj[r]; !has {
			return fmt.Errorf("%s: the required %s is missing", at, r)
		}
	}
	return nil
}

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func checkString(schema *yamlNode, s, at string) error {
	if enum := schema.at("enum"); enum != nil && !slices.Contains(enum.seqStrings(), s) {
		return fmt.Errorf("%s: %q is not in the enum %v", at, s, enum.seqStrings())
	}
	if p := schemaPattern(schema.str("pattern")); p != "" && !compiled(p).MatchString(s) {
		return fmt.Errorf("%s: %q does not match %s", at, s, p)
	}
	n := len([]rune(s))
	if m := schema.str("minLength"); m != "" && n < int(mustInt(m)) {
		return fmt.Errorf("%s: %q is shorter than %s", at, s, m)
	}
	if m := schema.str("maxLength"); m != "" && n > int(mustInt(m)) {
		return fmt.Errorf("%s: %q is longer than %s", at, s, m)
	}
	switch schema.str("format") {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			return fmt.Errorf("%s: %q is not a UTC date-time", at, s)
		}
	case "uuid":
		if !uuidShape.MatchString(s) {
			return fmt.Errorf("%s: %q is not a UUID", at, s)
		}
	}
	return nil
}

// patterns caches the spec's compiled patterns: every response checks some, many of them.
var patterns sync.Map

func compiled(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(p)
	patterns.Store(p, re)
	return re
}

// placeholder is a {NAME} of a pattern that is a template (the export job's prefix), not a
// regular expression, as the spec's README warns.
var placeholder = regexp.MustCompile(`\\?\{[A-Z][A-Z-]*\\?\}`)

// schemaPattern is the regular expression a schema's pattern means: the pattern itself, or for
// a template each placeholder standing for one path segment.
func schemaPattern(p string) string {
	if !placeholder.MatchString(p) {
		return p
	}
	parts := placeholder.Split(p, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return "^" + strings.Join(parts, "[^/]+") + "$"
}

func (n *yamlNode) seqNodes() []*yamlNode {
	if n == nil {
		return nil
	}
	return n.seq
}

func (n *yamlNode) seqStrings() []string {
	var out []string
	for _, c := range n.seqNodes() {
		out = append(out, c.scalar)
	}
	return out
}

func mustInt(s string) int64 {
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("the spec has a bound that is not an integer: " + s)
	}
	return i
}
