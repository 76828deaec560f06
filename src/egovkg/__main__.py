from __future__ import annotations

from egovkg.cli import main

if __name__ == "__main__":
    main()
