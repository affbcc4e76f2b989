"""``python -m remit.emulator serve ...``"""

from remit.emulator.cli import app

if __name__ == "__main__":
    app(prog_name="python -m remit.emulator")
