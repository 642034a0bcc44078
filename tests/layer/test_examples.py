#!/usr/bin/env python3
"""The deploy examples in layer/examples/ are well-formed and use the names
the README uses.

  python3 tests/layer/test_examples.py [SOURCE_ROOT]

Each example (SAM YAML, CloudFormation JSON, Terraform HCL) is parsed (YAML
with CloudFormation's short-form tags, JSON strictly, HCL with a small
structural parser below) and must: publish a layer from
vigil-layer-<arch>.zip for x86_64 or arm64; attach that layer to a function
of the same architecture; set AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper and
VIGIL_MODE; use only VIGIL_* variables of the README's configuration table,
with literal values that table allows. layer/README.md's "Deploy" section
must name every example file. Prints "ok" or the first failure per check.
"""
import json
import os
import re
import sys

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "VIGIL_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "layer", "examples")
README = os.path.join(ROOT, "layer", "README.md")
ARCHES = ("x86_64", "arm64")
WRAPPER = "/opt/vigil-wrapper"


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------- README


def readme_table():
    """VIGIL_* variables of the configuration table: name -> allowed values
    (a set for enums, None when any value of the type is allowed)."""
    rows = {}
    with open(README, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*`(VIGIL_[A-Z_]+)`\s*\|\s*(\w+)\s*\|[^|]*\|([^|]*)\|", line)
            if not m:
                continue
            name, typ, allowed = m.group(1), m.group(2), m.group(3)
            rows[name] = set(re.findall(r"`([^`]+)`", allowed)) if typ == "enum" else None
    check(len(rows) >= 5, "README: configuration table not found")
    return rows


def readme_deploy_section():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Deploy\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    check(m, "README: no '## Deploy' section")
    return m.group(1)


# ------------------------------------------------------ YAML (CloudFormation)


class Tagged:
    """A CloudFormation short-form function: !Ref X, !If [...], ..."""

    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def cfn_loader():
    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return Tagged(suffix, value)

    Loader.add_multi_constructor("!", construct)
    return Loader


def cfn_ref(v):
    """The logical id a value refers to ({"Ref": X} or !Ref X), else None."""
    if isinstance(v, Tagged) and v.tag == "Ref":
        return v.value
    if isinstance(v, dict) and list(v) == ["Ref"]:
        return v["Ref"]
    return None


def literal(v):
    return v if isinstance(v, str) else None


def cfn_allowed(template, v):
    """Literal values v can take: a literal, or a parameter's AllowedValues
    or Default; None when unknown (an expression)."""
    if isinstance(v, str):
        return {v}
    ref = cfn_ref(v)
    param = template.get("Parameters", {}).get(ref) if ref else None
    if param is not None:
        vals = set(param.get("AllowedValues", []))
        if "Default" in param and param["Default"] != "":
            vals.add(param["Default"])
        return vals or None
    return None


def check_cfn(name, template, layer_type, fn_type, zip_of):
    check(isinstance(template, dict), "%s: not a mapping" % name)
    check(template.get("AWSTemplateFormatVersion") == "2010-09-09",
          "%s: AWSTemplateFormatVersion" % name)
    res = template.get("Resources")
    check(isinstance(res, dict) and res, "%s: no Resources" % name)
    layers = {k: r for k, r in res.items() if r.get("Type") == layer_type}
    fns = {k: r for k, r in res.items() if r.get("Type") == fn_type}
    check(len(layers) == 1, "%s: expected one %s" % (name, layer_type))
    check(fns, "%s: no %s" % (name, fn_type))
    (lid, layer), = layers.items()
    lp = layer.get("Properties", {})
    zips = zip_of(lp)
    check(zips and all(re.fullmatch(r"vigil-layer-(x86_64|arm64)\.zip", z) for z in zips),
          "%s: the layer's content is not vigil-layer-<arch>.zip: %r" % (name, zips))
    larch = lp.get("CompatibleArchitectures")
    check(isinstance(larch, list) and len(larch) == 1, "%s: CompatibleArchitectures" % name)
    larch_vals = cfn_allowed(template, larch[0])
    check(larch_vals and larch_vals <= set(ARCHES), "%s: layer architecture %r" % (name, larch_vals))
    table = readme_table()
    for fid, fn in fns.items():
        fp = fn.get("Properties", {})
        check(any(cfn_ref(x) == lid for x in fp.get("Layers", [])),
              "%s: %s does not attach %s" % (name, fid, lid))
        farch = fp.get("Architectures")
        check(isinstance(farch, list) and len(farch) == 1 and
              cfn_allowed(template, farch[0]) == larch_vals,
              "%s: %s's architecture differs from the layer's" % (name, fid))
        env = fp.get("Environment", {}).get("Variables", {})
        check_env(name, env, table, lambda v: cfn_allowed(template, v))


def check_env(name, env, table, values_of):
    check(isinstance(env, dict), "%s: Environment Variables is not a mapping" % name)
    check(env.get("AWS_LAMBDA_EXEC_WRAPPER") == WRAPPER,
          "%s: AWS_LAMBDA_EXEC_WRAPPER is not %s" % (name, WRAPPER))
    check("VIGIL_MODE" in env, "%s: VIGIL_MODE is not set" % name)
    for k, v in env.items():
        if not k.startswith("VIGIL_"):
            continue
        check(k in table, "%s: %s is not in the README's table" % (name, k))
        allowed = table[k]
        vals = values_of(v)
        if allowed is not None and vals is not None:
            check(vals <= allowed, "%s: %s=%r, the README allows %r" % (name, k, vals, allowed))


def sam_zip(props):
    uri = props.get("ContentUri")
    return [os.path.basename(uri)] if isinstance(uri, str) else []


def cfn_zip(props):
    key = props.get("Content", {}).get("S3Key")
    if isinstance(key, dict) and "Fn::Sub" in key:
        key = key["Fn::Sub"]
        return [key.replace("${Architecture}", a) for a in ARCHES]
    return [key] if isinstance(key, str) else []


# ------------------------------------------------------------------- HCL


class HclError(Exception):
    pass


TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+) | (?P<nl>\n) | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?[A-Z]+) | (?P<number>\d+(\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*) | (?P<str>")
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[=?:{}\[\](),.!<>+\-*/%])
""", re.X | re.S)


def hcl_tokens(text):
    """(kind, value, line) tokens; strings keep their ${...} parts."""
    out, i, line = [], 0, 1
    while i < len(text):
        m = TOKEN.match(text, i)
        if not m:
            raise HclError("line %d: unexpected %r" % (line, text[i]))
        kind = m.lastgroup
        if kind == "heredoc":
            raise HclError("line %d: heredocs are not used in the examples" % line)
        if kind == "str":
            j, depth, buf = i + 1, 0, []
            while True:
                if j >= len(text) or (text[j] == "\n" and depth == 0):
                    raise HclError("line %d: unterminated string" % line)
                c = text[j]
                if c == "\\" and depth == 0:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                if text.startswith("${", j):
                    depth += 1
                    buf.append("${")
                    j += 2
                    continue
                if c == "}" and depth:
                    depth -= 1
                elif c == '"' and depth == 0:
                    break
                buf.append(c)
                j += 1
            out.append(("str", "".join(buf), line))
            i = j + 1
            continue
        if kind == "nl":
            out.append(("nl", "\n", line))
            line += 1
        elif kind == "comment":
            line += m.group().count("\n")
        elif kind != "ws":
            out.append((kind, m.group(), line))
        i = m.end()
    return out


class Hcl:
    """Body := (Attribute | Block)*; Attribute := ident = expr (to the end of
    the line outside brackets); Block := ident (str|ident)* { Body }."""

    def __init__(self, text):
        self.t = hcl_tokens(text)
        self.i = 0

    def peek(self):
        while self.i < len(self.t) and self.t[self.i][0] == "nl":
            self.i += 1
        return self.t[self.i] if self.i < len(self.t) else None

    def body(self, closing):
        attrs, blocks = {}, []
        while True:
            tok = self.peek()
            if tok is None:
                if closing:
                    raise HclError("unexpected end: missing }")
                return attrs, blocks
            if closing and tok[1] == "}":
                self.i += 1
                return attrs, blocks
            if tok[0] != "ident":
                raise HclError("line %d: expected a name, got %r" % (tok[2], tok[1]))
            self.i += 1
            nxt = self.t[self.i] if self.i < len(self.t) else None
            if nxt and nxt[1] == "=":
                self.i += 1
                if tok[1] in attrs:
                    raise HclError("line %d: %s set twice" % (tok[2], tok[1]))
                attrs[tok[1]] = self.expr(tok[2])
                continue
            labels = []
            while self.i < len(self.t) and self.t[self.i][0] in ("str", "ident"):
                labels.append(self.t[self.i][1])
                self.i += 1
            if self.i >= len(self.t) or self.t[self.i][1] != "{":
                raise HclError("line %d: %s: expected = or a block" % (tok[2], tok[1]))
            self.i += 1
            a, b = self.body(True)
            blocks.append((tok[1], labels, a, b))

    def expr(self, line):
        toks, stack = [], []
        pairs = {"(": ")", "[": "]", "{": "}"}
        while self.i < len(self.t):
            tok = self.t[self.i]
            if tok[0] == "nl" and not stack:
                break
            if tok[1] == "}" and not stack:
                break  # a one-line block's end
            if tok[0] == "op" and tok[1] in pairs:
                stack.append(pairs[tok[1]])
            elif tok[0] == "op" and tok[1] in ")]}":
                if not stack or stack.pop() != tok[1]:
                    raise HclError("line %d: unbalanced %r" % (tok[2], tok[1]))
            toks.append(tok)
            self.i += 1
        if stack:
            raise HclError("line %d: unclosed %r" % (line, stack[-1]))
        first = [t for t in toks if t[0] != "nl"]
        if not first:
            raise HclError("line %d: empty value" % line)
        if first[0][0] == "op" and first[0][1] not in ("(", "[", "{", "!", "-"):
            raise HclError("line %d: a value cannot start with %r" % (line, first[0][1]))
        return toks


def hcl_parse(text):
    return Hcl(text).body(False)


def hcl_object_pairs(toks):
    """name = value pairs inside an expression's object literals, with the
    value's single token (strings unquoted, others as written)."""
    pairs = {}
    toks = [t for t in toks if t[0] != "nl"]
    for i in range(len(toks) - 2):
        if toks[i][0] in ("ident", "str") and toks[i + 1][1] == "=":
            pairs[toks[i][1]] = toks[i + 2]
    return pairs


def check_terraform(name, text, table):
    attrs, blocks = hcl_parse(text)
    check(not attrs, "%s: attributes at the top level" % name)
    res = {(b[1][0], b[1][1]): b for b in blocks if b[0] == "resource" and len(b[1]) == 2}
    variables = {b[1][0]: b for b in blocks if b[0] == "variable" and len(b[1]) == 1}
    layers = [k for k in res if k[0] == "aws_lambda_layer_version"]
    fns = [k for k in res if k[0] == "aws_lambda_function"]
    check(len(layers) == 1, "%s: expected one aws_lambda_layer_version" % name)
    check(fns, "%s: no aws_lambda_function" % name)
    layer = res[layers[0]]
    la = layer[2]
    locals_ = {}
    for b in blocks:
        if b[0] == "locals":
            locals_.update(b[2])
    fname = la.get("filename")
    check(fname, "%s: the layer has no filename" % name)
    if len(fname) == 3 and fname[0][1] == "local" and fname[2][1] in locals_:
        fname = locals_[fname[2][1]]
    check(len(fname) == 1 and fname[0][0] == "str", "%s: layer filename is not a string" % name)
    zipname = os.path.basename(fname[0][1])
    check(re.fullmatch(r"vigil-layer-(x86_64|arm64|\$\{var\.architecture\})\.zip", zipname),
          "%s: the layer's file is not vigil-layer-<arch>.zip: %s" % (name, zipname))
    if "var.architecture" in zipname:
        arch = variables.get("architecture")
        check(arch and "default" in arch[2], "%s: variable architecture has no default" % name)
        d = arch[2]["default"]
        check(len(d) == 1 and d[0][1] in ARCHES, "%s: architecture default %r" % (name, d))
    check("source_code_hash" in la, "%s: the layer has no source_code_hash" % name)
    larch = "".join(t[1] for t in la.get("compatible_architectures", []))
    check(larch, "%s: the layer has no compatible_architectures" % name)
    layer_ref = "aws_lambda_layer_version.%s.arn" % layers[0][1]
    for key in fns:
        fa, fb = res[key][2], res[key][3]
        refs = "".join(t[1] for t in fa.get("layers", []))
        check(layer_ref in refs, "%s: %s does not attach %s" % (name, key[1], layer_ref))
        check("".join(t[1] for t in fa.get("architectures", [])) == larch,
              "%s: %s's architecture differs from the layer's" % (name, key[1]))
        envs = [b for b in fb if b[0] == "environment"]
        check(len(envs) == 1 and "variables" in envs[0][2],
              "%s: %s has no environment variables" % (name, key[1]))
        pairs = hcl_object_pairs(envs[0][2]["variables"])
        env = {k: v for k, v in pairs.items() if k.isupper()}

        plain = {k: (v[1] if v[0] == "str" else v) for k, v in env.items()}
        check_env(name, plain, table,
                  lambda v: {v} if isinstance(v, str) and "${" not in v else None)
        # a variable's default must be allowed too (VIGIL_MODE = var.vigil_mode)
        toks = [t for t in envs[0][2]["variables"] if t[0] != "nl"]
        for i in range(len(toks) - 4):
            if (toks[i][1] in table and toks[i + 1][1] == "=" and toks[i + 2][1] == "var"
                    and toks[i + 3][1] == "."):
                var = variables.get(toks[i + 4][1])
                check(var, "%s: %s uses an undeclared variable" % (name, toks[i][1]))
                d = var[2].get("default")
                allowed = table[toks[i][1]]
                if d and allowed is not None and d[0][1] != "":
                    check(d[0][1] in allowed, "%s: %s default %r is not allowed" %
                          (name, toks[i][1], d[0][1]))


# ------------------------------------------------------------------ main


def main():
    checks, failed = 0, 0
    table = readme_table()

    def run(label, fn):
        nonlocal checks, failed
        checks += 1
        try:
            fn()
            print("ok   %s" % label)
        except (Fail, HclError, yaml.YAMLError, ValueError, KeyError, TypeError,
                AttributeError) as e:
            failed += 1
            print("FAIL %s: %s" % (label, e))

    def sam():
        with open(os.path.join(EXAMPLES, "sam-template.yaml"), encoding="utf-8") as f:
            t = yaml.load(f, Loader=cfn_loader())
        check(t.get("Transform") == "AWS::Serverless-2016-10-31", "sam: no SAM transform")
        check_cfn("sam-template.yaml", t, "AWS::Serverless::LayerVersion",
                  "AWS::Serverless::Function", sam_zip)

    def cfn():
        with open(os.path.join(EXAMPLES, "cloudformation.json"), encoding="utf-8") as f:
            t = json.load(f, object_pairs_hook=no_duplicates)
        check_cfn("cloudformation.json", t, "AWS::Lambda::LayerVersion",
                  "AWS::Lambda::Function", cfn_zip)

    def tf():
        with open(os.path.join(EXAMPLES, "terraform.tf"), encoding="utf-8") as f:
            check_terraform("terraform.tf", f.read(), table)

    def readme():
        sec = readme_deploy_section()
        for f in sorted(os.listdir(EXAMPLES)):
            check("layer/examples/" + f in sec, "README's Deploy section does not name %s" % f)
        for n in ("AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper", "vigil-layer-x86_64.zip",
                  "vigil-layer-arm64.zip", "layer/build.sh"):
            check(n in sec, "README's Deploy section does not mention %s" % n)

    def hcl_rejects():
        # The HCL checker must fail on broken input, or it proves nothing.
        with open(os.path.join(EXAMPLES, "terraform.tf"), encoding="utf-8") as f:
            good = f.read()
        for bad in (good[:good.rindex("}")], good.replace("= [var.architecture]", "= [var.arch",
                                                          1),
                    good + '\nresource "x" {\n  a = "unterminated\n}\n',
                    good.replace('layers           =', 'layers           = = ', 1)):
            try:
                hcl_parse(bad)
            except HclError:
                continue
            raise Fail("a broken Terraform file parsed")
        try:
            check_terraform("t", good.replace("/opt/vigil-wrapper", "/opt/wrapper"), table)
        except Fail:
            pass
        else:
            raise Fail("a wrong wrapper path passed")

    def yaml_rejects():
        with open(os.path.join(EXAMPLES, "sam-template.yaml"), encoding="utf-8") as f:
            good = f.read()
        t = yaml.load(good.replace("VIGIL_FAIL: open", "VIGIL_FAIL: sometimes"),
                      Loader=cfn_loader())
        try:
            check_cfn("t", t, "AWS::Serverless::LayerVersion", "AWS::Serverless::Function",
                      sam_zip)
        except Fail:
            return
        raise Fail("a value the README does not allow passed")

    run("sam-template.yaml", sam)
    run("cloudformation.json", cfn)
    run("terraform.tf", tf)
    run("README Deploy section", readme)
    run("HCL checker rejects broken input", hcl_rejects)
    run("YAML checker rejects a disallowed value", yaml_rejects)
    print("examples: %d checks, %d failed" % (checks, failed))
    return 1 if failed else 0


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key %r" % k)
        d[k] = v
    return d


if __name__ == "__main__":
    sys.exit(main())
