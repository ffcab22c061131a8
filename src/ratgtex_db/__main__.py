from ratgtex_db.cli import main

main()
