import sys

from videocolor.cli.main import main

sys.exit(main())
