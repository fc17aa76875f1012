from investigate.cli import main

main()
