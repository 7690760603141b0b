"""svcs service registrations: `registry.register_factory(Svc, factory)`, `register_value(Svc, v)`
and the integrations' module-level forms (`svcs.flask.register_factory(app, Svc, factory)`)."""

from __future__ import annotations

import libcst as cst

from sources.python.packs.base import Extractor, Pack
from sources.python.syntax import dotted
from sources.python.vocabulary import Scope, argument

REGISTRATIONS = {"register_factory": "factory", "register_value": "value"}


class SvcsPack(Pack):
    name = "svcs"
    reads = {"service": frozenset({"svcs"})}  # noqa: RUF012

    def on_call(self, extractor: Extractor, call: cst.Call, line: int, end_line: int, scope: tuple[Scope, ...]) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in REGISTRATIONS:
            return
        uses_svcs = any(target == "svcs" or target.startswith("svcs.") for target in extractor.ctx.imports.values())
        if not uses_svcs:
            return
        registration = REGISTRATIONS[func.attr.value]
        # `svcs.flask.register_factory(app, Svc, factory)`: a module function taking the app first.
        receiver = dotted(func.value)
        is_module = receiver is not None and receiver.split(".")[0] in extractor.ctx.imports
        resolved = extractor.ctx.resolve(func.value) or ""
        shift = 1 if is_module and (resolved == "svcs" or resolved.startswith("svcs.")) else 0
        registry = argument(call, 0, "app") if shift else func.value
        service = argument(call, shift, "svc_type")
        target = argument(call, shift + 1, registration)
        if service is None or target is None or registry is None:
            return
        written = extractor.ctx.source_of(service)
        scope_name = ".".join(item.name for item in scope)
        extractor.emit(
            extractor.make(
                "service",
                written.rsplit(".", 1)[-1],
                f"{scope_name}.{written}" if scope_name else written,
                line,
                end_line,
                service=written,
                service_resolved=extractor.ctx.resolve(service),
                registration=registration,
                target=extractor.ctx.source_of(target),
                registry=extractor.ctx.source_of(registry),
            )
        )
