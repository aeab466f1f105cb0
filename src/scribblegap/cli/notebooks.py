from scribblegap.report.notebooks import check, execute_all


def main(args):
    if args.action == "check":
        return check()
    return 0 if execute_all(args.names, smoke=args.smoke, timeout=args.timeout, max_mb=args.max_mb) else 1
