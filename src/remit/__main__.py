from remit.cli.entry import main

main()
