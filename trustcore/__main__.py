"""``python -m trustcore BUNDLE --key LOG_KEY.pem`` (and ``python trust-verify.pyz …``): verify a bundle offline."""

import sys

from trustcore.verify import main

sys.exit(main())
