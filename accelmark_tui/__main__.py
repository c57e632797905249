import sys

from accelmark_tui.main import main

sys.exit(main())
