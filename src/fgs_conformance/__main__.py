from fgs_conformance.cli import main

raise SystemExit(main())
