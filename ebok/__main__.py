from ebok.cli import main

main()
