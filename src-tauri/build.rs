fn main() {
    strongroom_build::emit();
    tauri_build::build()
}
