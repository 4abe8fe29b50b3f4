"""The browsable contract pages, /docs (Swagger UI) and /asyncapi.html (AsyncAPI React).

Their scripts come from public CDNs at exact versions with Subresource Integrity: a CDN that
serves anything else than the file hashed here is refused by the browser, so it cannot run
code next to a token pasted into "Authorize". The hashes are of the npm packages' files
(`npm pack swagger-ui-dist@5.36.0 @asyncapi/react-component@3.1.5`, then
`openssl dgst -sha384 -binary FILE | openssl base64 -A`).
"""

import html
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Asset:
    url: str
    integrity: str

    def script(self) -> str:
        return (
            f'<script src="{self.url}" integrity="{self.integrity}" '
            'crossorigin="anonymous" referrerpolicy="no-referrer"></script>'
        )

    def stylesheet(self) -> str:
        return (
            f'<link rel="stylesheet" href="{self.url}" integrity="{self.integrity}" '
            'crossorigin="anonymous" referrerpolicy="no-referrer">'
        )


SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.36.0"
SWAGGER_JS = Asset(
    f"{SWAGGER_UI}/swagger-ui-bundle.js",
    "sha384-fUpRgC19yPykTqzdrUbdAg8NTiu16NEKf9U12J+IJWCg8/1mEI8f2+PEIz60Wyd+",
)
SWAGGER_CSS = Asset(
    f"{SWAGGER_UI}/swagger-ui.css",
    "sha384-z/AtSaOHGn5MJ5auAHXUypohywlIWLBZo1jeGmhdpVIbCnFhxAH92cwdV41oyINc",
)
ASYNCAPI_UI = "https://unpkg.com/@asyncapi/react-component@3.1.5"
ASYNCAPI_JS = Asset(
    f"{ASYNCAPI_UI}/browser/standalone/index.js",
    "sha384-8wbjPojoZcmtwWk+Smcb9q18OIVmLY6REqp4MnkZK6xd9+FLztcl6wwP447XxJ+V",
)
ASYNCAPI_CSS = Asset(
    f"{ASYNCAPI_UI}/styles/default.min.css",
    "sha384-oo9RoQcacP++XdMX6CjTucTvASEORHX3chFik0/V2kHcsHiVboGyWZztGeq/0bum",
)
ASSETS = (SWAGGER_JS, SWAGGER_CSS, ASYNCAPI_JS, ASYNCAPI_CSS)


def _inline_json(value) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def swagger_page(title: str, openapi_url: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
{SWAGGER_CSS.stylesheet()}
</head>
<body>
<div id="swagger-ui"></div>
{SWAGGER_JS.script()}
<script>
SwaggerUIBundle({{
  url: {_inline_json(openapi_url)},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
</script>
</body>
</html>"""


def asyncapi_page(title: str, specification: dict) -> str:
    shown = ("sidebar", "info", "servers", "operations", "messages", "schemas", "errors")
    config = {
        "schema": specification,
        "config": {
            "show": dict.fromkeys(shown, True),
            "expand": {"messageExamples": True},
            "sidebar": {"showServers": "byDefault", "showOperations": "byDefault"},
        },
    }
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
{ASYNCAPI_CSS.stylesheet()}
</head>
<body>
<div id="asyncapi"></div>
{ASYNCAPI_JS.script()}
<script>
window.AsyncApiStandalone.render({_inline_json(config)}, document.getElementById("asyncapi"));
</script>
</body>
</html>"""
