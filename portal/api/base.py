"""The API's building blocks: the flask-smorest Api (problem+json errors documented), strict argument
parsing, and API blueprints whose service errors become problems."""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import Flask
from flask_smorest import Api, Blueprint
from webargs.core import missing
from webargs.flaskparser import FlaskParser, abort, is_json_request

from portal.api.problems import PROBLEM_TYPE, problem
from portal.api.schemas import ProblemSchema

PREFIX = "/api/v1"
API_TITLE = "PO Portal API"
API_VERSION = "1"


class StrictParser(FlaskParser):
    """Unknown query parameters are refused like unknown JSON fields (422), not silently dropped; a parameter
    that takes one value is refused when given twice (400), as a JSON key given twice is."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_querystring(self, req, schema):
        """As webargs', but a parameter of the schema that takes one value, given more than once
        (`?debtor_id=1&debtor_id=2`), is a 400 naming it: webargs read the first and dropped the rest, so a
        wrongly built query was answered for a filter the client did not mean. A list field keeps its
        values; an unknown parameter, given once or more, is left to the schema (422)."""
        proxy = super().load_querystring(req, schema)
        single = {field.data_key or name for name, field in schema.fields.items()} - proxy.multiple_keys
        repeated = {key: len(values) for key, values in req.args.lists() if len(values) > 1 and key in single}
        if repeated:
            abort(400, messages={"query": {key: [f"{key}: the query gives this parameter {n} times; give it once."]
                                           for key, n in repeated.items()}})
        return proxy

    def load_json(self, req, schema):
        """A body Python's decoder cannot read is malformed JSON (400) like any other: nested deeper than
        its recursion limit, or an integer longer than its digit limit (webargs lets both through as 500s).
        Text no database can store is refused as well: a lone surrogate escape ("\\ud800", valid JSON but not
        Unicode text) failed at commit as a 500. A body that is not JSON at all is a 415 (webargs read it
        as no body: "Missing data" for every field), and a key given twice is refused, not read as the last."""
        if (req.content_length or req.get_data(cache=True)) and not is_json_request(req):
            abort(415, messages={"json": ["Send the body as application/json."]})
        try:
            data = super().load_json(req, schema)
        except RecursionError as exc:
            abort(400, exc=exc, messages={"json": ["The JSON body is nested too deeply."]})
        except ValueError as exc:  # JSONDecodeError never gets here: webargs answers it
            abort(400, exc=exc, messages={"json": ["The JSON body holds a number with too many digits."]})
        if problem := _unstorable(data):
            abort(400, messages={"json": [problem]})
        return data

    def _raw_load_json(self, req):
        """As webargs', with every object's keys checked for repeats while it is decoded."""
        if not is_json_request(req):
            return missing
        return parse_json(req.get_data(cache=True))


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args, tag: str, **kw):
        super().__init__(*args, **kw)
        self.tag = tag  # the heading its operations are listed under in the docs

    def route(self, rule, *, parameters=None, tags=None, **options):
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)


class PortalApi(Api):
    ERROR_SCHEMA = ProblemSchema
    # every error an operation gives is listed on it (`errors`), so a "default" catch-all would only
    # hide an undocumented status from the schema tests
    DEFAULT_ERROR_RESPONSE_NAME = None

    def register_blueprint(self, blp, *, parameters=None, **options):
        """As flask-smorest's, but the docs' heading is the blueprint's tag, not its endpoint prefix."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
        self.spec.tag({"name": blp.tag, "description": blp.description})

    def _register_error_handlers(self):
        """The portal's own error handlers answer problem+json on /api/ (portal/web.py); an app-wide
        JSON handler here would also take over the pages' HTML error pages."""

    def _register_responses(self):
        """Error responses are documented as application/problem+json."""
        for status in HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_TYPE: {"schema": "ProblemSchema"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "An error", "content": {PROBLEM_TYPE: {"schema": "ProblemSchema"}}}, lazy=True)


# every operation may answer these; views add their own (404, 409 …)
COMMON_ERRORS = (400, 401, 403, 415)


def errors(blp: Blueprint, *codes: int):
    """Document the error responses a view may give (problem+json)."""

    def decorator(view):
        for code in sorted(set(COMMON_ERRORS + codes)):
            view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorator


def new_blueprint(name: str, url_prefix: str, tag: str, description: str) -> ApiBlueprint:
    """An API blueprint whose service errors become problems (403, 409, 422) with nothing half-written."""
    from portal.domain.assignment import AssignmentError
    from portal.extensions import db
    from portal.services.errors import Conflict, Forbidden, ValidationFailed

    blp = ApiBlueprint(name, __name__, url_prefix=PREFIX + url_prefix, description=description, tag=tag)

    @blp.errorhandler(ValidationFailed)
    def _invalid(err: ValidationFailed):
        db.session.rollback()
        return problem(422, str(err), kind="validation", errors={k or "_form": v for k, v in err.errors.items()})

    @blp.errorhandler(Forbidden)
    def _forbidden(err: Forbidden):
        db.session.rollback()
        return problem(403, str(err))

    @blp.errorhandler(Conflict)
    def _conflict(err: Conflict):
        db.session.rollback()
        return problem(409, str(err), kind="conflict")

    @blp.errorhandler(AssignmentError)
    def _refused(err: AssignmentError):
        db.session.rollback()
        return problem(409, str(err), kind="assignment-refused")

    return blp


def spec_of(app: Flask) -> dict:
    """The OpenAPI document as a dict."""
    return app.extensions["portal_api"].spec.to_dict()


class _RepeatedKey(ValueError):
    pass


def _pairs(pairs: list) -> dict:
    seen = dict(pairs)
    if len(seen) != len(pairs):
        raise _RepeatedKey()
    return seen


def parse_json(raw: bytes):
    """The body decoded as webargs decodes it; a repeated key within an object is a 400 naming it."""
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs)
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", doc=str(exc.object),
                                   pos=exc.start) from exc
    except _RepeatedKey:
        abort(400, messages={"json": ["The JSON body names a key twice in one object; give each once."]})


def _unstorable(body) -> str | None:
    """Why the decoded body cannot be stored as text, or None: a string (or key) holding a lone surrogate.
    Walked with a stack, not recursion: a body nested as deep as the decoder allows is still answered."""
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "The JSON body holds text that is not Unicode (a lone surrogate escape such as \\ud800)."
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None
