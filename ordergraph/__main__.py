from schema import cli

cli.main()
