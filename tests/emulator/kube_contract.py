"""Small helpers for the emulator contract tests: raw HTTP calls that read Status bodies as JSON."""

import json

import yaml


def raw(cluster, method, path, body=None, content_type="application/json", query=None, headers=None):
    """(status code, parsed JSON body or text) for one request through the kubernetes client's REST layer."""
    api = cluster.api_client()
    hdrs = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        hdrs["Content-Type"] = content_type
    data = None
    if body is not None:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    url = api.configuration.host + path
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    if "Authorization" not in hdrs:
        api.update_params_for_auth(hdrs, [], ["BearerToken"], path, method, body)
    response = api.rest_client.pool_manager.request(method, url, body=data, headers=hdrs, preload_content=True,
                                                   retries=False)
    text = response.data.decode()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def load_cases(name):
    from pathlib import Path

    return yaml.safe_load((Path(__file__).parent / "cases" / name).read_text())
