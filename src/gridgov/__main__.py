from gridgov.cli import main

main()
