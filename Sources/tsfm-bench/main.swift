print("bench generator: not built yet")
