package storage

// IDCount is how many objects s keeps a block key for (tests of its bound).
func IDCount(s *RemoteStore) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}
