ifdef(`__if_error',`m4exit(1)')
