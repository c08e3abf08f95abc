from fixgen.cli import main

main()
