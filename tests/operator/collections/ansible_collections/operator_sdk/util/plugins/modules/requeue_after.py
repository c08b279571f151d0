#!/usr/bin/python
# TEST ONLY stand-in for operator_sdk.util.requeue_after 0.5.0 (same name, option and return value).

import re

from ansible.module_utils.basic import AnsibleModule


DOCUMENTATION = r"""
module: requeue_after
short_description: Ask ansible-operator to reconcile the resource again after a time (test stand-in)
description:
  - Returns C(period); ansible-operator requeues the resource after it when it sees this task succeed.
options:
  time:
    description: A period of hours, minutes and seconds such as C(30s), C(5m) or C(1h30m).
    type: str
    required: true
"""

RETURN = r"""
period:
  description: The period given as I(time), which ansible-operator parses as a Go duration.
  returned: success
  type: str
"""


def main():
    module = AnsibleModule(argument_spec={"time": {"type": "str", "required": True}})
    period = module.params["time"]
    if re.match(r"^[hms0-9]*$", period) is None:
        module.fail_json(msg="invalid time input")
    module.exit_json(period=period)


if __name__ == "__main__":
    main()
