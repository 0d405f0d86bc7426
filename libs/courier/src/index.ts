// Public API of @courier/courier: backbones, user-intention reconstruction, losses, export.
export {};
