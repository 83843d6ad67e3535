package db

// ForgetDiskFull clears the remembered disk-full error, for tests.
func ForgetDiskFull() { diskFullAt.Store(0) }
