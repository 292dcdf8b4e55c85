"""From values files and ``--set`` flags to validated values, reporting every problem at once."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox.values import checks, fast
from capi_kamaji_proxmox.values.defaults import DEFAULTS, POOL_DEFAULTS, TEMPLATE_ID_KEYS
from capi_kamaji_proxmox.values.errors import ValuesError, error_loc, format_path
from capi_kamaji_proxmox.values.merge import apply_set, coalesce, coalesce_into, copy_tree, merge_layers

if TYPE_CHECKING:  # pydantic and the models load only when the fast path cannot decide
    from pydantic import BaseModel, ValidationError

    from capi_kamaji_proxmox.values.model import Values


class LoadedValues:
    """Validated values plus what the release record needs (the user's own layer).

    ``values`` is a :class:`~.model.Values` or, for values the fast accept path took (``fast.py``),
    its light twin: the same attributes and data, read the same way. (A plain class: ``dataclasses``
    costs a cold ``template`` its ``inspect`` import.)
    """

    __slots__ = ("config", "merged", "values", "warnings")

    def __init__(
        self,
        values: Values,
        config: dict[str, Any],  # user-supplied values only, as Helm stores them in a release
        merged: dict[str, Any],  # defaults + config, after pool defaulting
        warnings: list[str] | None = None,
    ) -> None:
        self.values = values
        self.config = config
        self.merged = merged
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return f"LoadedValues(values={self.values!r}, config={self.config!r}, warnings={self.warnings!r})"


# --------------------------------------------------------------------------- YAML reading


def read_values_text(text: str, source: str) -> dict[str, Any]:
    """Parse one values document; syntax errors name the file, line and column."""
    from capi_kamaji_proxmox.values import yaml_read

    return yaml_read.read_values_text(text, source)


def read_values_file(path: str) -> dict[str, Any]:
    if path == "-":
        import sys

        return read_values_text(sys.stdin.read(), "<stdin>")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValuesError([f"{path}: cannot read values file: {exc.strerror}"]) from None
    return read_values_text(text, path)


# --------------------------------------------------------------------------- alias keys


def _resolve_aliases(config: dict[str, Any], problems: list[str], warnings: list[str]) -> dict[str, Any]:
    """Fold the chart's alias keys into the canonical ones, on the user's layer only.

    Deciding on the user layer matters: the default of ``cluster.version`` must not conflict
    with a user's ``cluster.controlPlane.version``.
    """
    cluster = config.get("cluster")
    if isinstance(cluster, dict):
        cp = cluster.get("controlPlane")
        if isinstance(cp, dict) and cp.get("version") is not None:
            alias = cp.pop("version")
            if cluster.get("version") not in (None, alias):
                problems.append(
                    "cluster.controlPlane.version: "
                    f"{alias!r} conflicts with cluster.version {cluster['version']!r}; "
                    "set only cluster.version (controlPlane.version is its alias)"
                )
            else:
                cluster["version"] = alias
        cref = cluster.get("credentialsRef")
        if isinstance(cref, dict):
            cluster.pop("credentialsRef")
            _credentials_alias(config, cref, warnings)
    return config


def _credentials_alias(config: dict[str, Any], cref: dict[str, Any], warnings: list[str]) -> None:
    """``cluster.credentialsRef`` names the Secret only when ``proxmox.secret`` is not set.

    The chart reads only ``proxmox.secret`` (its own values file sets both, to different Secrets),
    so when the user's values set ``proxmox.secret`` it wins, as with the chart, and a differing
    ``credentialsRef`` is reported as ignored.
    """
    proxmox = config.get("proxmox")
    secret = proxmox.get("secret") if isinstance(proxmox, dict) else None
    if isinstance(secret, dict):
        differs = [k for k in ("name", "namespace") if cref.get(k) not in (None, "") and cref.get(k) != secret.get(k)]
        if differs:
            warnings.append(
                f"cluster.credentialsRef: ignored because proxmox.secret is set (the chart reads only "
                f"proxmox.secret); {', '.join(f'{k} {cref[k]!r}' for k in differs)} not used — remove "
                "cluster.credentialsRef to silence this warning"
            )
        return
    if proxmox is None or isinstance(proxmox, dict):
        config["proxmox"] = {**(proxmox or {}), "secret": cref}


# --------------------------------------------------------------------------- pool defaults


def _no_template_id(value: Any) -> bool:
    """The chart tests ``if .templateId``: 0 and "" mean "no template id" (use the selector)."""
    return value == "" or (isinstance(value, int) and not isinstance(value, bool) and value == 0)


def _default_pools(merged: dict[str, Any]) -> None:
    """Give every pool entry the pool defaults it does not set (the chart's nodePools[0])."""
    pools = merged.get("nodePools")
    if not isinstance(pools, list):
        return
    raw_cluster = merged.get("cluster")
    cluster: dict[str, Any] = raw_cluster if isinstance(raw_cluster, dict) else {}
    out: list[Any] = []
    for entry in pools:
        if not isinstance(entry, dict):
            out.append(entry)
            continue
        base = copy_tree(POOL_DEFAULTS)
        # Placement and name servers follow the cluster's, key by key, unless the pool sets its own
        # (with the chart's defaults both are the same, so chart values render as the chart did).
        if "allowedNodes" in cluster:
            base["allowedNodes"] = copy_tree(cluster["allowedNodes"])
        if "dnsServers" in cluster:
            base["network"]["dnsServers"] = copy_tree(cluster["dnsServers"])
        if "templateId" in entry and _no_template_id(entry["templateId"]):
            entry = {**entry, "templateId": None}
        if entry.get("templateSelector") is not None and entry.get("templateId") is None:
            # A pool that picks its template by tags inherits no template id, and no sourceNode
            # (the ProxmoxMachine CRD rejects sourceNode next to a templateSelector).
            for key in TEMPLATE_ID_KEYS:
                base.pop(key)
        pool = coalesce_into(base, entry)
        autoscaling = pool.get("autoscaling")
        if isinstance(autoscaling, dict) and autoscaling.get("enabled") is True and "replicas" not in entry:
            pool.pop("replicas", None)
        out.append(pool)
    merged["nodePools"] = out


# --------------------------------------------------------------------------- pydantic errors


def _unwrap_models(annotation: Any) -> list[type[BaseModel]]:
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        found: list[type[BaseModel]] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap_models(arg))
        return found
    return []


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    from capi_kamaji_proxmox.values.model import Values

    model: type[BaseModel] | None = Values
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        nxt = None
        for name, info in model.model_fields.items():
            if part in (info.alias, name):
                models = _unwrap_models(info.annotation)
                nxt = models[0] if models else None
                break
        model = nxt
    return model


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


_EXPECT = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a map",
    "model_type": "a map",
    "model_attributes_type": "a map",
}


def _pattern_hint(pattern: str) -> str:
    from capi_kamaji_proxmox.values import model as m

    return {
        m.DNS_LABEL: "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
        m.K8S_VERSION: "a Kubernetes version such as v1.31.4",
    }.get(pattern, f"text matching {pattern}")


def _describe(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _EXPECT:
        return f"expected {_EXPECT[kind]}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"expected {_pattern_hint(str(ctx.get('pattern')))}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"expected a number <= {ctx.get('le')}"
    if kind == "string_too_short":
        return "expected a non-empty string"
    if kind == "string_too_long":
        return f"expected at most {ctx.get('max_length')} characters"
    if kind == "value_error":
        return str(err.get("msg", kind)).removeprefix("Value error, ")
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s)"
    return str(err.get("msg", kind))


def _translate(exc: ValidationError) -> list[str]:
    """One line per offending key: path, what was found, what is expected, and a 'did you mean'."""
    import difflib  # only on invalid values: not worth its import time on every start

    by_loc: dict[tuple[Any, ...], list[Any]] = {}
    for err in exc.errors():
        loc = error_loc(err["loc"])
        by_loc.setdefault(loc, []).append(err)
    lines: list[str] = []
    for loc, errs in by_loc.items():
        path = format_path(list(loc))
        first = errs[0]
        if first["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            hint = ""
            if parent is not None:
                close = difflib.get_close_matches(str(loc[-1]), _known_keys(parent), n=1, cutoff=0.6)
                if close:
                    hint = f"; did you mean {format_path([*loc[:-1], close[0]])!r}?"
            lines.append(f"{path}: unknown key{hint}")
            continue
        if first["type"] == "missing":
            lines.append(f"{path}: required key is missing")
            continue
        wants = sorted({_describe(e) for e in errs})
        got = first.get("input")
        lines.append(f"{path}: {' or '.join(wants)}, got {got!r}")
    return lines


# --------------------------------------------------------------------------- entry point


def read_set_file(key: str, path: str) -> str:
    """The content of a ``--set-file`` path (UTF-8 text, as Helm reads it); errors name the key."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValuesError([f"--set-file {key}={path}: cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ValuesError([f"--set-file {key}={path}: not UTF-8 text"]) from None


def user_layer(
    files: list[str] | None = None,
    sets: list[str] | None = None,
    set_strings: list[str] | None = None,
    set_files: list[str] | None = None,
    *,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The user's values in Helm's order: ``-f`` files, then ``--set``, ``--set-string``, ``--set-file``."""
    return layer_values([read_values_file(path) for path in files or []], sets, set_strings, set_files, base=base)


def layer_values(
    documents: list[dict[str, Any]],
    sets: list[str] | None = None,
    set_strings: list[str] | None = None,
    set_files: list[str] | None = None,
    *,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Already-read ``-f`` documents, then the ``--set*`` flags, on top of ``base`` (Helm's order)."""
    config: dict[str, Any] = dict(base or {})
    for doc in documents:
        config = merge_layers(config, doc)
    if sets:
        config = apply_set(config, sets)
    if set_strings:
        config = apply_set(config, set_strings, as_string=True, flag="--set-string")
    if set_files:
        config = apply_set(config, set_files, flag="--set-file", read_file=read_set_file)
    return config


def load_values(
    files: list[str] | None = None,
    sets: list[str] | None = None,
    set_strings: list[str] | None = None,
    *,
    release_name: str,
    documents: list[dict[str, Any]] | None = None,
    set_files: list[str] | None = None,
) -> LoadedValues:
    """Merge defaults, files and ``--set*`` like Helm, then validate everything, all at once."""
    config: dict[str, Any] = {}
    for doc in documents or []:
        config = merge_layers(config, doc)
    config = user_layer(files, sets, set_strings, set_files, base=config)
    return validate_config(config, release_name=release_name)


def validate_config(config: dict[str, Any], *, release_name: str) -> LoadedValues:
    """Validate an already merged user layer (also what a stored release's config is).

    Every problem is reported in one run: when some keys are malformed, the cross-field checks
    still run on the rest (see ``salvage``).
    """
    problems: list[str] = []
    warnings: list[str] = []
    user = _resolve_aliases(copy_tree(config), problems, warnings)
    merged = coalesce(DEFAULTS, user)
    if isinstance(user.get("nodePools"), list):
        # Entries keep their nulls until pool defaulting, where a null deletes a pool default.
        merged["nodePools"] = copy_tree(user["nodePools"])
    if "addons" in user:
        # No defaults here, and chart values pass on to Helm in the workload cluster, where a null
        # deletes the chart's own default: nulls under addons are kept as the user wrote them.
        merged["addons"] = copy_tree(user["addons"])
    _default_pools(merged)
    values = fast.validate("Values", merged)
    if values is None:
        values = _validate_model(merged, user, release_name, problems)
    problems.extend(checks.cross_field(values, user, release_name, warnings))
    if problems:
        raise ValuesError(problems)
    return LoadedValues(values=values, config=config, merged=merged, warnings=warnings)


def _validate_model(merged: dict[str, Any], user: dict[str, Any], release_name: str, problems: list[str]) -> Values:
    """The reference validation (pydantic): its result, or every problem at once as a ValuesError."""
    from pydantic import ValidationError

    from capi_kamaji_proxmox.values import salvage
    from capi_kamaji_proxmox.values.model import Values

    try:
        return Values.model_validate(merged)
    except ValidationError as exc:
        problems += _translate(exc)
        kept = salvage.salvage(merged, exc)
        if kept.values is not None:
            found = checks.cross_field(kept.values, user, release_name, [])
            found = [salvage.renumber(p, kept.pool_index) for p in found]
            problems += [p for p in found if not salvage.about_a_cut(p, kept.cut)]
        raise ValuesError(problems) from None
