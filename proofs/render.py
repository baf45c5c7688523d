"""Every derivation in ``proofs.REGISTRY``, step by step, as Markdown with LaTeX (``python -m proofs``).

For each derivation: its statement, the explanation from its module's docstring, its steps (each ``=``
between two SymPy expressions checked while rendering), its residuals and how they simplify to 0, the
result of ``verify()``, the conformance properties that name it and the executable exports those
properties evaluate. Properties and exports are found by reading ``tests/test_*.py`` with ``ast``: a
property is a test decorated with ``conformance(op, family, derivation)``; a test uses an export when
it, or a helper function of its module it calls, refers to it.

The output depends only on the sources (sorted, no timestamps, no addresses), so a committed copy can
be compared with a fresh rendering.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import sympy

import proofs
from proofs import REGISTRY, Derivation

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = "docs/proofs.md"  # the committed rendering, relative to ROOT
TESTS = ROOT / "tests"
NOT_SCHEMES = {"__main__", "render"}

#: (anchor, title, derivation names or ``scheme.`` prefixes), in reading order; the first match wins.
#: A derivation no entry matches gets a section of its own scheme, so nothing in the registry is left out.
SECTIONS = (
    ("rope", "RoPE", ("rope.",)),
    ("layouts", "Half-split and interleaved layouts", ("layouts.",)),
    ("sinusoidal", "Sinusoidal", ("sinusoidal.",)),
    ("alibi", "ALiBi", ("alibi.",)),
    ("t5", "T5 relative buckets", ("t5.",)),
    ("learned-absolute", "Learned absolute positions", ("learned_absolute.",)),
    ("scaling-pi", "Scaling: position interpolation (PI)", ("scaling.position_interpolation",)),
    ("scaling-ntk", "Scaling: NTK-aware base, and HunYuan's fixed alpha", ("scaling.ntk_base", "scaling.ntk_alpha")),
    ("scaling-dynamic-ntk", "Scaling: dynamic NTK", ("scaling.dynamic_ntk",)),
    ("scaling-yarn", "Scaling: YaRN frequency ramp", ("scaling.yarn_correction_dim", "scaling.yarn_ramp")),
    ("scaling-attention-factor", "Scaling: attention factors (YaRN mscale, LongRoPE)", ("scaling.mscale",)),
    ("scaling-llama3", "Scaling: Llama 3", ("scaling.llama3",)),
    ("scaling-proportional", "Scaling: proportional RoPE (Gemma 4) against partial rotary", ("scaling.proportional",)),
    ("scaling-identity", "Scaling: factor 1", ("scaling.identity_at_factor_one",)),
    ("mrope", "Multi-axis RoPE (M-RoPE): Qwen2-VL's chunked and Qwen3-VL's interleaved maps, and the position builder",
     ("mrope.",)),
    ("axial", "2-D axial RoPE of vision towers", ("axial.",)),
    ("xpos", "xPos: decaying rotations", ("xpos.",)),
    ("attention-scale", "Attention scales: DeepSeek's softmax mscale, Llama 4's and Ministral 3's temperatures",
     ("attention_scale.",)),
    ("attention", "Attention: positional biases inside softmax(s)·V", ("attention.",)),
)
#: The figure of a section's scheme (``scripts/figures.py``), shown under its heading; paths relative to docs/.
FIGURES = {
    "rope": "figures/long_term_decay.png", "alibi": "figures/alibi_bias.png", "t5": "figures/t5_buckets.png",
    "scaling-ntk": "figures/scalers.png", "scaling-dynamic-ntk": "figures/scalers.png",
    "scaling-yarn": "figures/yarn_llama3_bands.png", "scaling-llama3": "figures/yarn_llama3_bands.png",
    "scaling-proportional": "figures/scalers.png", "scaling-pi": "figures/scalers.png", "mrope": "figures/mrope_axes.png",
    "xpos": "figures/xpos_decay.png", "attention-scale": "figures/attention_temperature.png",
}
#: Intermediate forms longer than this (LaTeX characters) are skipped: they bury the point.
MAX_SHOWN = 700


def simplifies_to_zero(expression) -> bool:
    """The criterion of :meth:`Derivation.verify`, for one scalar."""
    return sympy.simplify(sympy.expand_trig(sympy.expand(expression))) == 0


def load_schemes() -> list[ModuleType]:
    """Import every scheme module of ``proofs`` (which fills the registry), sorted by name."""
    names = sorted(info.name for info in pkgutil.iter_modules(proofs.__path__) if info.name not in NOT_SCHEMES)
    return [importlib.import_module(f"proofs.{name}") for name in names]


# --- where each derivation and export lives -------------------------------------------------------

@dataclass(frozen=True)
class Export:
    """An executable property of a scheme module: an ``@exported`` builder or a function tests evaluate."""

    module: str
    name: str
    builder: bool  # @exported: calling it returns the lambdified function

    def call(self) -> str:
        """How tests call it, with the lambdified function's parameters for a builder."""
        function = getattr(importlib.import_module(self.module), self.name)
        call = f"{self.module}.{self.name}()" if self.builder else f"{self.module}.{self.name}"
        return f"{call}({', '.join(inspect.signature(function() if self.builder else function).parameters)})"

    def doc(self) -> str:
        return _first_paragraph(inspect.getdoc(getattr(importlib.import_module(self.module), self.name)) or "")


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split()).replace("``", "`")


def _source_tree(module: ModuleType) -> ast.Module:
    return ast.parse(Path(module.__file__).read_text(encoding="utf-8"))


def _assignment_lines(module: ModuleType) -> dict[str, int]:
    """Module-level name → line of its assignment (the reading order of the derivations)."""
    return {target.id: node.lineno for node in _source_tree(module).body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _exported_names(module: ModuleType) -> set[str]:
    return {node.name for node in _source_tree(module).body if isinstance(node, ast.FunctionDef)
            and any(isinstance(d, ast.Name) and d.id == "exported" for d in node.decorator_list)}


def _public_functions(module: ModuleType) -> dict[str, object]:
    """Public functions defined in ``module`` (``@exported`` builders included): the candidate exports."""
    return {name: value for name, value in vars(module).items() if not name.startswith("_") and callable(value)
            and getattr(getattr(value, "__wrapped__", value), "__module__", None) == module.__name__}


# --- which tests name a derivation or use an export -------------------------------------------------

@dataclass
class TestIndex:
    """Properties per derivation name and users per export, from ``tests/test_*.py``."""

    properties: dict[str, set[str]] = field(default_factory=dict)  # derivation name → property tests
    users: dict[Export, set[str]] = field(default_factory=dict)  # export → tests using it
    property_users: dict[Export, set[str]] = field(default_factory=dict)  # the same, properties only


_MISSING = object()


def _proofs_names(tree: ast.Module) -> dict[str, object]:
    """Local names bound to ``proofs`` objects by the file's imports (``from proofs import rope as proofs``)."""
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "proofs":  # ``import proofs.rope`` binds ``proofs``
                    names[alias.asname or "proofs"] = importlib.import_module(alias.name) if alias.asname else proofs
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "proofs":
            package = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(package, alias.name, _MISSING)
                if value is _MISSING:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                names[alias.asname or alias.name] = value
    return names


def _resolve(node: ast.AST, names: dict[str, object]):
    """The object a dotted name denotes (``proofs.RELATIVE.name``), or ``_MISSING``."""
    if isinstance(node, ast.Name):
        return names.get(node.id, _MISSING)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        return _MISSING if base is _MISSING else getattr(base, node.attr, _MISSING)
    return _MISSING


def _named_derivations(function: ast.FunctionDef, names: dict[str, object]) -> set[str]:
    """Derivation names of the ``conformance(op, family, derivation)`` marks on a test (parametrize marks too)."""
    found = set()
    for decorator in function.decorator_list:
        for call in ast.walk(decorator):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "conformance":
                argument = next((k.value for k in call.keywords if k.arg == "derivation"),
                                call.args[2] if len(call.args) > 2 else None)
                value = argument.value if isinstance(argument, ast.Constant) else _resolve(argument, names)
                if isinstance(value, str):
                    found.add(value)
    return found


def _reachable(name: str, direct: dict[str, set], calls: dict[str, set[str]], seen: set[str]) -> set:
    """What ``name`` refers to itself or through the module's functions it calls, transitively."""
    seen.add(name)
    return direct[name].union(*(_reachable(callee, direct, calls, seen) for callee in calls[name] - seen))


def index_tests(exports: dict[int, Export]) -> TestIndex:
    """Read every ``tests/test_*.py``; ``exports`` maps ``id()`` of each candidate object to its Export."""
    index = TestIndex()
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _proofs_names(tree)
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        direct = {name: {exports[id(obj)] for node in ast.walk(function) if isinstance(node, (ast.Name, ast.Attribute))
                         for obj in (_resolve(node, names),) if id(obj) in exports}
                  for name, function in functions.items()}
        calls = {name: {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and node.id in functions}
                 for name, function in functions.items()}
        for name, function in functions.items():
            if not name.startswith("test"):
                continue
            test = f"{path.relative_to(ROOT).as_posix()}::{name}"
            derivations = _named_derivations(function, names)
            for derivation in derivations:
                index.properties.setdefault(derivation, set()).add(test)
            for export in _reachable(name, direct, calls, set()):
                index.users.setdefault(export, set()).add(test)
                if derivations:
                    index.property_users.setdefault(export, set()).add(test)
    return index


# --- rendering ----------------------------------------------------------------------------------------

@dataclass
class Rendering:
    """The Markdown and what it took: nothing is written when ``failures`` is not empty."""

    text: str
    failures: list[str]  # derivations or steps that did not verify
    sections: int
    equations: int


def _latex(item) -> str:
    return item if isinstance(item, str) else sympy.latex(item)


def _display(latex: str) -> str:
    return f"$$\n{latex}\n$$\n"


def _entries(item) -> list:
    value = item.doit() if hasattr(item, "doit") else item
    return list(value) if isinstance(value, sympy.MatrixBase) else [value]


def _equal(left, right) -> bool:
    lefts, rights = _entries(left), _entries(right)
    return len(lefts) == len(rights) and all(simplifies_to_zero(a - b) for a, b in zip(lefts, rights))


def _render_steps(derivation: Derivation, failures: list[str]) -> list[str]:
    lines = []
    for number, (label, chain) in enumerate(derivation.steps, 1):
        lines.append(f"*Step {number}.* {label}\n")
        shown = [_latex(item) for item in chain]  # an item SymPy prints like its neighbour is shown once
        lines.append(_display(r" \;=\; ".join(latex for n, latex in enumerate(shown) if n == 0 or latex != shown[n - 1])))
        expressions = [item for item in chain if not isinstance(item, str)]
        for left, right in itertools.pairwise(expressions):
            if not _equal(left, right):
                failures.append(f"{derivation.name}: step {number} ({label}): {left} ≠ {right}")
                lines.append(f"**step {number} FAILED:** the two sides differ.\n")
    return lines


def _is_zero(item) -> bool:
    return item.is_zero_matrix if isinstance(item, sympy.MatrixBase) else item == 0


def _render_residual(item) -> str:
    """``r → expand, expand_trig → … → simplify → 0`` for one residual (a matrix is shown whole)."""
    expanded = item.applyfunc(lambda e: sympy.expand_trig(sympy.expand(e))) if isinstance(item, sympy.MatrixBase) \
        else sympy.expand_trig(sympy.expand(item))
    arrow = r" \;\xrightarrow{\text{expand, expand\_trig}}\; "
    if _is_zero(expanded):
        return _display(sympy.latex(item) + arrow + "0")
    if expanded == item:
        return _display(sympy.latex(item) + r" \;\xrightarrow{\text{simplify}}\; 0")
    shown = sympy.latex(expanded)
    middle = arrow + shown if len(shown) <= MAX_SHOWN else arrow + r"\cdots"
    return _display(sympy.latex(item) + middle + r" \;\xrightarrow{\text{simplify}}\; 0")


def _explanation(module: ModuleType | None, name: str) -> str:
    """The bullet ``* ``name``: …`` of the module docstring, joined into one paragraph."""
    lines = (module.__doc__ or "").splitlines() if module else []
    start = next((n for n, line in enumerate(lines) if line.strip().startswith(f"* ``{name}``:")), None)
    if start is None:
        return ""
    taken = [lines[start].strip()[len(f"* ``{name}``:"):]]
    for line in lines[start + 1:]:
        if not line.strip() or line.strip().startswith("* "):
            break
        taken.append(line)
    return " ".join(" ".join(taken).split()).replace("``", "`")


def _module_intro(module: ModuleType) -> str:
    """The module docstring up to its first bullet."""
    paragraphs = []
    for paragraph in (module.__doc__ or "").strip().split("\n\n"):
        if paragraph.lstrip().startswith("* "):
            break
        paragraphs.append(" ".join(paragraph.split()).replace("``", "`"))
    intro = "\n\n".join(paragraphs)
    return intro[:-1] + "." if intro.endswith(":") else intro  # the list it introduced is left out


#: Property → the zoo members it kills (``scripts/kill_matrix.py``; ``tests/meta/test_zoo.py`` keeps it current).
KILL_MATRIX = ROOT / "docs" / "kill-matrix.json"


def _kills(tests: set[str]) -> str:
    """The zoo members the properties ``tests`` kill, as a Markdown sentence (empty when none are recorded)."""
    matrix = json.loads(KILL_MATRIX.read_text()) if KILL_MATRIX.exists() else {}
    members = sorted({member for test in tests for member in matrix.get(test.rsplit("::", 1)[-1], ())})
    return f"**Kills** these zoo members: {', '.join(f'`{m}`' for m in members)}.\n" if members else ""


def _tests(tests: set[str]) -> str:
    return ", ".join(f"`{test}`" for test in sorted(tests))


def _render_export(export: Export, index: TestIndex) -> str:
    doc = export.doc().rstrip(".")
    users = index.users.get(export, set())
    used = f"Used by {_tests(users)}." if users else "No test uses it."
    return f"* `{export.call()}`{': ' + doc if doc else ''}. {used}\n"


def _render_derivation(derivation: Derivation, module: ModuleType | None, exports: list[Export], index: TestIndex,
                       failures: list[str]) -> tuple[list[str], list[Export]]:
    """Its Markdown, and the exports shown with it (those its properties evaluate)."""
    lines = [f'<a id="{derivation.name}"></a>\n', f"### `{derivation.name}`\n", f"> {derivation.statement}\n"]
    explanation = _explanation(module, derivation.name)
    if explanation:
        lines.append(f"{explanation}\n")
    lines += _render_steps(derivation, failures)
    items = derivation.residual if isinstance(derivation.residual, (list, tuple)) else [derivation.residual]
    shown = [item for item in items if not _is_zero(item)]
    parts = f"{len(items)} part{'s' * (len(items) != 1)}"
    if not shown:
        lines.append(f"**Residual**: {parts}, already 0 as SymPy builds {'them' if len(items) > 1 else 'it'} "
                     "(its automatic evaluation cancels the two sides).\n")
    else:
        cancelled = len(items) - len(shown)
        lines.append(f"**Residual** ({parts}" + (f"; {cancelled} already 0 as SymPy builds them" if cancelled else "")
                     + "), simplified:\n")
    lines += [_render_residual(item) for item in shown]
    if derivation.verify():
        lines.append("**verified: residual simplifies to 0**\n")
    else:
        failures.append(f"{derivation.name}: residual does not simplify to 0 ({derivation.statement})")
        lines.append("**verification FAILED: the residual does not simplify to 0**\n")
    properties = index.properties.get(derivation.name, set())
    lines.append(f"**Checked by** {_tests(properties)}.\n" if properties else "**Checked by** no property yet.\n")
    if _kills(properties):
        lines.append(_kills(properties))
    mine = [export for export in exports if properties & index.property_users.get(export, set())]
    if mine:
        lines.append("**Exports** these properties evaluate:\n")
        lines += [_render_export(export, index) for export in mine]
        lines.append("")
    return lines, mine


def _section_of(name: str) -> tuple[str, str]:
    for anchor, title, patterns in SECTIONS:
        if any(name == p or (p.endswith(".") and name.startswith(p)) for p in patterns):
            return anchor, title
    scheme = name.split(".")[0]
    return scheme, scheme


def render() -> Rendering:
    """Verify and render every registered derivation."""
    modules = load_schemes()
    owner: dict[str, ModuleType] = {}  # derivation name → the scheme module defining it
    line: dict[str, int] = {}  # … and where, the reading order within a section
    candidates: dict[int, Export] = {}
    for module in modules:
        lines, exported = _assignment_lines(module), _exported_names(module)
        for attribute, value in vars(module).items():
            if isinstance(value, Derivation) and value.name.split(".")[0] == module.__name__.split(".")[-1]:
                owner[value.name], line[value.name] = module, lines.get(attribute, 0)
        for name, value in _public_functions(module).items():
            candidates[id(value)] = Export(module.__name__, name, name in exported)
    index = index_tests(candidates)
    exports = sorted({export for export in candidates.values() if export.builder or export in index.property_users},
                     key=lambda e: (e.module, e.name))

    order = {anchor: n for n, (anchor, _, _) in enumerate(SECTIONS)}
    sections: dict[tuple[str, str], list[Derivation]] = {}
    for name in sorted(REGISTRY):
        sections.setdefault(_section_of(name), []).append(REGISTRY[name])
    ordered = sorted(sections.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][0]))

    failures: list[str] = []
    introduced: set[str] = set()
    body: list[str] = []
    attached: set[Export] = set()
    for (anchor, title), derivations in ordered:
        derivations.sort(key=lambda d: (line.get(d.name, 0), d.name))
        module = owner.get(derivations[0].name)
        body += [f'<a id="{anchor}"></a>\n', f"## {title}\n"]
        if anchor in FIGURES:
            body.append(f"![{title}]({FIGURES[anchor]})\n")
        if module is not None:
            source = f"Source: `{Path(module.__file__).relative_to(ROOT).as_posix()}`."
            if module.__name__ not in introduced:
                introduced.add(module.__name__)
                body.append(f"{_module_intro(module)}\n\n{source}\n")
            else:
                body.append(f"{source} Notation as in the first section from that module.\n")
        for derivation in derivations:
            defining = owner.get(derivation.name)
            own_exports = [e for e in exports if defining is not None and e.module == defining.__name__]
            markdown, shown = _render_derivation(derivation, defining, own_exports, index, failures)
            body += markdown
            attached.update(shown)

    unused = [export for export in exports if export not in attached]
    if unused:
        body += ['<a id="exports-without-a-property"></a>\n', "## Exports no property evaluates yet\n",
                 "Exported, verified with their module, but no conformance property calls them:\n"]
        body += [_render_export(export, index) for export in unused]

    contents = [f"* [{title}](#{anchor}): " + ", ".join(f"[`{d.name}`](#{d.name})" for d in derivations)
                for (anchor, title), derivations in ordered]
    text = "\n".join([
        "# Derivations, step by step\n",
        (f"Generated by `python -m proofs --output {DOCUMENT}` from the SymPy derivations in `proofs/`; do not edit "
         "by hand (`tests/meta/test_proofs_render.py` fails when this file is out of date).\n"),
        ("Each derivation states a claim and a *residual* (left side minus right side) that must simplify to 0. "
         "Every residual below was simplified while rendering (`expand`, `expand_trig`, then `simplify`, as "
         "`Derivation.verify()` does), and every `=` between two SymPy expressions in the steps was checked the "
         "same way; raw notation such as $R_2(a)^{\\mathsf T} R_2(b)$ only names the expression beside it. Under "
         "each derivation: the conformance properties that name it (`tests/`) and the executable exports "
         "(lambdified from the same expressions) that they evaluate.\n"),
        f"{len(REGISTRY)} derivations in {len(ordered)} sections.\n",
        *contents, "",
        *body,
    ]).rstrip("\n") + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)  # blocks end in a newline and are joined by one: one blank line
    return Rendering(text, failures, len(ordered), len(re.findall(r"^\$\$$", text, re.MULTILINE)) // 2)
