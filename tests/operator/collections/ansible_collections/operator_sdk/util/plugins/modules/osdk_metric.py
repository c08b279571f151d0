#!/usr/bin/python
# TEST ONLY stand-in for operator_sdk.util.osdk_metric 0.5.0 (same name, options and behaviour: it POSTs
# the metric to ansible-operator's receiver, which serves it on the operator's /metrics endpoint).

import json
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url


DOCUMENTATION = r"""
module: osdk_metric
short_description: Create or update a Prometheus metric that ansible-operator serves (test stand-in)
options:
  name: {description: The metric's name., type: str, required: true}
  description: {description: Its help text., type: str, required: true}
  address:
    description: ansible-operator's metrics receiver.
    type: str
    default: http://localhost:5050/metrics
  counter: {description: "C(increment) or C(add).", type: dict}
  gauge: {description: "C(set), C(increment), C(decrement), C(add), C(subtract) or C(set_to_current_time).", type: dict}
  histogram: {description: "C(observe).", type: dict}
  summary: {description: "C(observe).", type: dict}
"""


KINDS = {
    "counter": {"increment": "bool", "add": "float"},
    "gauge": {"set": "float", "increment": "bool", "decrement": "bool", "add": "float", "subtract": "float",
              "set_to_current_time": "bool"},
    "histogram": {"observe": "float"},
    "summary": {"observe": "float"},
}


def main():
    spec = {"name": {"type": "str", "required": True},
            "description": {"type": "str", "required": True},
            "address": {"type": "str", "default": "http://localhost:5050/metrics"}}
    for kind, options in KINDS.items():
        spec[kind] = {"type": "dict", "options": {k: {"type": t} for k, t in options.items()}}
    module = AnsibleModule(argument_spec=spec)
    payload = {"name": module.params["name"], "description": module.params["description"]}
    for kind in KINDS:
        if module.params[kind]:
            payload[kind] = module.params[kind]
    try:
        response = open_url(module.params["address"], method="POST", data=json.dumps(payload),
                            headers={"Content-Type": "application/json"}, timeout=10)
        status, text = response.getcode(), response.read().decode("utf-8", "replace")
    except HTTPError as error:  # the receiver's answer to a metric it refuses
        status, text = error.code, error.read().decode("utf-8", "replace")
    except URLError as error:
        module.fail_json(msg="cannot reach {0}: {1}".format(module.params["address"], error.reason))
    if status != 200:
        module.fail_json(msg=text, status_code=status)
    module.exit_json(changed=True)


if __name__ == "__main__":
    main()
