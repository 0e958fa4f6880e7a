"""Security headers on every page the api serves: a Content Security Policy.

The dashboard is a build of module scripts and stylesheets served from
/static/, the API docs page is Swagger UI with its script in a file of its
own (drf-spectacular's split view), and the admin keeps its data in
attributes: none needs an inline script, so scripts may come from this
origin only. Inline styles stay allowed (Vue's style bindings and Swagger UI
set them). Django's own middleware adds the rest (nosniff, Referrer-Policy,
X-Frame-Options, and HSTS and the HTTPS redirect when ``HTTPS=1``).
"""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        # 'self' covers the same origin's ws:// and wss:// (CSP level 3).
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicy:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
