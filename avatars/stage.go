package avatars

// stage holds the per-size caches of an avatar.
type stage struct{}
