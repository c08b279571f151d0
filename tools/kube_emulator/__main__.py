"""``python -m kube_emulator``: run the emulator in the foreground until SIGTERM/SIGINT."""

import argparse
import signal
import sys
import threading

from .emulator import Emulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kube_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--crds", action="append", default=[], help="directory or file of CRD YAML (repeatable)")
    parser.add_argument("--load", action="append", default=[], help="directory or file of objects (repeatable)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the emulator to this path")
    parser.add_argument("--namespace", default="default", help="namespace of the kubeconfig context")
    args = parser.parse_args(argv)

    emulator = Emulator(crd_dirs=args.crds)
    if args.load:
        emulator.load(args.load)
    url = emulator.start(host=args.host, port=args.port)
    print(url, flush=True)
    if args.kubeconfig:
        print(emulator.write_kubeconfig(args.kubeconfig, namespace=args.namespace), flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
