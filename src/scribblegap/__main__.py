from scribblegap.cli import main

raise SystemExit(main())
