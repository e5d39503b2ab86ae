"""OpenAPI (drf-spectacular): the token authentication, and the error responses every
operation can give, in the one error shape."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable error code, e.g. not_found, invalid, transition_refused, throttled.")
    message = serializers.CharField(help_text="For people, in the request's language.")
    detail = serializers.DictField(help_text="For invalid: field name → messages. For transition_refused: refusal.")


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <key>` — the key printed once by `manage.py create_api_client`."}


# Error statuses documented on every operation (plus 409 on workflow transitions).
ERROR_STATUSES = ("400", "401", "403", "404", "429")


class GovernanceAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        statuses = list(ERROR_STATUSES)
        if getattr(self.view, "action", None) in getattr(self.view, "transition_actions", ()):
            statuses.append("409")
        for code in statuses:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorOutput, code, direction=direction)
        return responses
