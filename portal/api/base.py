"""The API's building blocks: the flask-smorest Api (problem+json errors documented), strict argument
parsing, and API blueprints whose service errors become problems."""
from __future__ import annotations

from http import HTTPStatus

from flask import Flask
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser, abort

from portal.api.problems import PROBLEM_TYPE, problem
from portal.api.schemas import ProblemSchema

PREFIX = "/api/v1"
API_TITLE = "PO Portal API"
API_VERSION = "1"


class StrictParser(FlaskParser):
    """Unknown query parameters are refused like unknown JSON fields (422), not silently dropped."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_json(self, req, schema):
        """A body Python's decoder cannot read is malformed JSON (400) like any other: nested deeper than
        its recursion limit, or an integer longer than its digit limit (webargs lets both through as 500s)."""
        try:
            return super().load_json(req, schema)
        except RecursionError as exc:
            abort(400, exc=exc, messages={"json": ["The JSON body is nested too deeply."]})
        except ValueError as exc:  # JSONDecodeError never gets here: webargs answers it
            abort(400, exc=exc, messages={"json": ["The JSON body holds a number with too many digits."]})


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
COMMON_ERRORS = (400, 401, 403)


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
