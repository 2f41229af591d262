import sys

from portalctl.cli import main

sys.exit(main())
